import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliFixture } from './helpers/cli-fixture.js';
import { runCli } from './helpers/run-cli.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

/** Resident memory of a process, in bytes (Linux). */
function rssOf(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? 0) * 1024;
}

describe('CLI habits users bring from other tools', () => {
  it('global options work after the subcommand too (berth up -f berth.yaml, status -C dir)', async () => {
    await using f = cliFixture('pass-fail');
    const elsewhere = { cwd: '/' };
    const up = await runCli(['up', 'good', '-f', `${f.dir}/berth.yaml`, '--json'], {
      ...elsewhere,
      env: { BERTH_HOME: f.home },
    });
    expect(up.code, up.stderr).toBe(0);
    const status = await runCli(['status', '--json', '-C', f.dir], {
      ...elsewhere,
      env: { BERTH_HOME: f.home },
    });
    expect(status.code, status.stderr).toBe(0);
    const { projects } = JSON.parse(status.stdout) as { projects: { name: string; state: string }[] };
    expect(projects.find((p) => p.name === 'good')?.state).toBe('running');
    // after `--` nothing is berth's: -f reaches the command
    const echo = await runCli(
      ['exec', 'good', '-C', f.dir, '--', 'sh', '-c', 'echo "$1"', 'x', '-f'],
      elsewhere,
    );
    expect(echo).toMatchObject({ code: 0, stdout: '-f\n' });
  });

  it('berth exec applies backpressure: a slow reader pauses the command, memory stays bounded', async () => {
    await using f = cliFixture('pass-fail');
    await f.run(['up', 'good']);
    const total = 400 * 1024 * 1024;
    const child = spawn(
      process.execPath,
      [BIN, 'exec', 'good', '--', 'sh', '-c', `head -c ${total} /dev/zero`],
      { cwd: f.dir, env: { ...process.env, BERTH_HOME: f.home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // nobody reads stdout for a while: the command must wait rather than berth buffer it all
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 6000));
    const rssWhilePaused = rssOf(child.pid!);
    let received = 0;
    let peak = rssWhilePaused;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(child.pid!));
      } catch {
        // exited
      }
    }, 100);
    child.stdout.on('data', (c: Buffer) => (received += c.length));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearInterval(sampler);
    expect(code, stderr).toBe(0);
    expect(received).toBe(total);
    // without backpressure the paused 400 MiB would sit in this process
    expect(rssWhilePaused).toBeLessThan(200 * 1024 * 1024);
    expect(peak).toBeLessThan(250 * 1024 * 1024);
  });

  it('berth exec says that piped stdin is not forwarded', async () => {
    await using f = cliFixture('pass-fail');
    await f.run(['up', 'good']);
    // a shell pipe, as users type it: stdin is a FIFO
    const child = spawn(
      '/bin/sh',
      ['-c', `echo some input | "$0" "$1" exec good -- sh -c 'cat; echo done'`, process.execPath, BIN],
      { cwd: f.dir, env: { ...process.env, BERTH_HOME: f.home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toBe('done\n');
    expect(stderr).toMatch(/^berth: stdin is not forwarded: the command reads end-of-file/);
    const help = await f.run(['exec', '--help']);
    expect(help.stdout).toMatch(/stdin is not forwarded/);
    expect(help.stdout).toMatch(/default 600000/);
  });
});
