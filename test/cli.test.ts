import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliFixture } from './helpers/cli-fixture.js';
import { runCli } from './helpers/run-cli.js';

describe('berth CLI', () => {
  it('--help lists the commands', async () => {
    const r = await runCli(['--help'], { cwd: process.cwd() });
    expect(r.code).toBe(0);
    for (const cmd of ['up', 'status', 'exec', 'test', 'logs', 'down', 'compose'])
      expect(r.stdout).toContain(`  ${cmd} `);
  });

  it('berth test: one passing, one failing project gives the table and a non-zero exit', async () => {
    await using f = cliFixture('pass-fail');
    const r = await f.run(['test']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('good | checking good\n');
    expect(r.stdout).toContain('good | all 3 checks passed\n');
    expect(r.stdout).toContain('bad  | checking bad\n');
    expect(r.stderr).toContain('bad  | assertion failed: 2 != 3\n');
    const table = r.stdout.slice(r.stdout.indexOf('PROJECT'));
    expect(table).toMatch(/^PROJECT\s+RESULT\s+EXIT\s+DURATION\n/);
    expect(table).toMatch(/\ngood\s+passed\s+0\s+\d/);
    expect(table).toMatch(/\nbad\s+failed\s+7\s+\d/);
    expect(table).toMatch(/\ndocs\s+skipped \(no commands\.test in the config\)\s+-\s+0ms/);
    expect(table).toContain('tests failed');

    const json = await f.run(['test', '--json', 'good', 'bad']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; results: Record<string, unknown>[] };
    expect(report.ok).toBe(false);
    expect(report.results.map((x) => [x.project, x.status, x.exitCode])).toEqual([
      ['good', 'passed', 0],
      ['bad', 'failed', 7],
    ]);
    expect(report.results[1]).toMatchObject({
      stderr: 'assertion failed: 2 != 3\n',
      command: 'sh ./check.sh',
    });

    const onlyGood = await f.run(['test', 'good', '--json']);
    expect(onlyGood.code).toBe(0);
    expect(JSON.parse(onlyGood.stdout)).toMatchObject({ ok: true });
  });

  it('exec streams stdout and stderr separately and exits with the command exit code', async () => {
    await using f = cliFixture('pass-fail');
    await f.run(['up', 'good']);
    const r = await f.run(['exec', 'good', '--', 'sh', '-c', 'echo out; echo err >&2; exit 42']);
    expect(r).toMatchObject({ code: 42, stdout: 'out\n', stderr: 'err\n' });
    const timed = await f.run(['exec', 'good', '--timeout', '500', '--', 'sleep', '60']);
    expect(timed.code).toBe(124);
    expect(timed.stderr).toContain('timed out after 500 ms; the process tree was killed');
  });

  it('status --json has the documented shape', async () => {
    await using f = cliFixture('pass-fail');
    await f.run(['up', 'good']);
    const r = await f.run(['status', '--json']);
    expect(r.code).toBe(0);
    const { projects } = JSON.parse(r.stdout) as { projects: Record<string, unknown>[] };
    expect(projects.map((p) => [p.name, p.state])).toEqual([
      ['good', 'running'],
      ['bad', 'missing'],
      ['docs', 'missing'],
    ]);
    expect(Object.keys(projects[0]!)).toEqual(
      expect.arrayContaining(['name', 'state', 'health', 'containerId', 'image', 'uptimeSeconds', 'path']),
    );
    const down = JSON.parse((await f.run(['down', '--json'])).stdout) as { removed: { project: string }[] };
    expect(down.removed.map((x) => x.project)).toEqual(['good']);
    expect(await f.containers()).toEqual([]);
  });

  it('logs prints what the container wrote to its output', async () => {
    await using f = cliFixture('pass-fail');
    await f.run(['up', 'good']);
    // PID 1's stdout and stderr are the container log
    await f.run([
      'exec',
      'good',
      '--',
      'sh',
      '-c',
      'echo line-one > /proc/1/fd/1; echo line-err > /proc/1/fd/2',
    ]);
    const r = await f.run(['logs', 'good']);
    expect(r).toMatchObject({ code: 0, stdout: 'line-one\n', stderr: 'line-err\n' });
    // the engine reads stdout and stderr concurrently: order is only kept within one stream
    await f.run([
      'exec',
      'good',
      '--',
      'sh',
      '-c',
      'echo line-two > /proc/1/fd/1; echo line-three > /proc/1/fd/1',
    ]);
    const tail = await f.run(['logs', 'good', '--tail', '1']);
    expect(tail.stdout).toBe('line-three\n');
    const missing = await f.run(['logs', 'bad']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('berth: project "bad" has no container; start it with `berth up bad`\n');
  });

  it('compose prints a file that docker-compose accepts', async () => {
    await using f = cliFixture('pass-fail');
    const r = await f.run(['compose']);
    expect(r.code).toBe(0);
    const doc = parse(r.stdout) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.services)).toEqual(['good', 'bad', 'docs']);
    expect(doc.services.good).toMatchObject({
      image: 'berth-test/busybox',
      working_dir: '/workspace',
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
      pids_limit: 64,
      restart: 'unless-stopped',
    });
    const check = spawnSync('docker-compose', ['-f', '-', 'config', '-q'], { input: r.stdout, cwd: f.dir });
    expect(check.stderr.toString()).toBe('');
    expect(check.status).toBe(0);
    // `$` survives Compose's interpolation: the keepalive loop is intact
    const resolved = spawnSync('docker-compose', ['-f', '-', 'config'], { input: r.stdout, cwd: f.dir });
    // config re-prints in file form, where a literal dollar is written $$
    expect(resolved.stdout.toString()).toContain('wait $$!; done');
  });
});
