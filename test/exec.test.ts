import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBerthError } from '../src/errors.js';
import { busybox, createTestHub, type TestHub } from './helpers/test-hub.js';
import { processList } from './helpers/processes.js';

describe.each([
  ['the in-container runner', true],
  ['the engine exec', false],
])('exec in a busybox project container, through %s', (_transport, runner) => {
  let t: TestHub;

  beforeAll(async () => {
    t = createTestHub({ projects: { box: busybox('./box') }, runner });
    await t.hub.up();
  });
  afterAll(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it(`runs ${runner ? 'under the runner' : 'as an engine exec'}`, async () => {
    // an engine exec's parent is outside the container's PID namespace
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'echo $PPID']);
    if (runner) expect(Number(r.stdout)).toBeGreaterThan(0);
    else expect(r.stdout).toBe('0\n');
  });

  it('passes argv through exactly, whatever the quoting', async () => {
    const args = ["it's", '$HOME', '"quoted"', 'a b', '\\n', '*', '', 'line\nbreak', '`id`'];
    const r = await t.hub.exec('box', [
      '/bin/sh',
      '-c',
      'for a in "$@"; do printf "<%s>" "$a"; done',
      'sh',
      ...args,
    ]);
    expect(r.stdout).toBe(args.map((a) => `<${a}>`).join(''));
  });

  it('returns exit codes as data, never as errors', async () => {
    expect((await t.hub.exec('box', ['true'])).exitCode).toBe(0);
    expect((await t.hub.exec('box', ['/bin/sh', '-c', 'exit 3'])).exitCode).toBe(3);
    const missing = await t.hub.exec('box', ['no-such-program']);
    expect(missing.exitCode).toBeGreaterThanOrEqual(126);
  });

  it('keeps stdout and stderr apart', async () => {
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'echo to-out; echo to-err >&2; echo more-out']);
    expect(r.stdout).toBe('to-out\nmore-out\n');
    expect(r.stderr).toBe('to-err\n');
    expect(r.timedOut).toBe(false);
    expect(r.truncated).toBe(false);
  });

  it('streams chunks as they come, before the command ends', async () => {
    const seen: { text: string; at: number }[] = [];
    const started = Date.now();
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'echo first; sleep 1; echo second >&2'], {
      onStdout: (c) => {
        seen.push({ text: c.toString(), at: Date.now() - started });
      },
      onStderr: (c) => {
        seen.push({ text: `err:${c.toString()}`, at: Date.now() - started });
      },
    });
    expect(r.durationMs).toBeGreaterThanOrEqual(900);
    expect(seen.map((s) => s.text)).toEqual(['first\n', 'err:second\n']);
    expect(seen[0]!.at).toBeLessThan(800);
  });

  it('runs in /workspace as the working directory, with env and cwd overrides', async () => {
    expect((await t.hub.exec('box', ['pwd'])).stdout).toBe('/workspace\n');
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'echo "$GREETING from $(pwd)"'], {
      env: { GREETING: 'hello' },
      cwd: '/tmp',
    });
    expect(r.stdout).toBe('hello from /tmp\n');
  });

  it('a timeout kills the whole process tree inside the container', async () => {
    const r = await t.hub.exec(
      'box',
      [
        '/bin/sh',
        '-c',
        // a child, a grandchild in its own session, a nohup'd one, and the shell itself
        'sleep 7771 & (setsid sleep 7772 &); nohup sleep 7773 >/dev/null 2>&1 & sleep 7774; echo never',
      ],
      { timeoutMs: 800 },
    );
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('never');
    expect(r.durationMs).toBeLessThan(5000);
    const left = await processList(t.hub, 'box');
    expect(left.filter((l) => /sleep 777/.test(l))).toEqual([]);
    // the container itself keeps running
    expect((await t.hub.status(['box']))[0]!.state).toBe('running');
  });

  it('an abort signal stops the command the same way', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'sleep 8881 & sleep 8882'], {
      signal: controller.signal,
    });
    expect(r.exitCode).not.toBe(0);
    const left = await processList(t.hub, 'box');
    expect(left.filter((l) => /sleep 888/.test(l))).toEqual([]);
  });

  it('cuts output beyond the cap with a visible marker, keeping memory bounded', async () => {
    const cap = 64 * 1024;
    const r = await t.hub.exec(
      'box',
      ['/bin/sh', '-c', 'head -c 5000000 /dev/zero | tr "\\0" x; echo done >&2'],
      {
        outputCap: cap,
      },
    );
    expect(r.exitCode).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith('x'.repeat(cap))).toBe(true);
    expect(r.stdout).toContain('[berth: output truncated at 65536 bytes; 4934464 more bytes dropped]');
    expect(r.stdout.length).toBeLessThan(cap + 200);
    expect(r.stderr).toBe('done\n');
  });

  it('defaults the cap to 1 MiB per stream', async () => {
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'head -c 1100000 /dev/zero | tr "\\0" y']);
    expect(r.truncated).toBe(true);
    expect(r.stdout).toContain('[berth: output truncated at 1048576 bytes; 51424 more bytes dropped]');
  });

  it('refuses an empty argv and changes nothing', async () => {
    const before = t.store.listExecs({ hubId: t.config.hubId }).length;
    await expect(t.hub.exec('box', [])).rejects.toSatisfy((e) => isBerthError(e, 'EMPTY_COMMAND'));
    await expect(t.hub.exec('box', [''])).rejects.toSatisfy((e) => isBerthError(e, 'EMPTY_COMMAND'));
    expect(t.store.listExecs({ hubId: t.config.hubId }).length).toBe(before);
  });

  it('records every exec in the history', async () => {
    await t.hub.exec('box', ['/bin/sh', '-c', 'exit 5'], { source: 'cli' });
    const [last] = t.store.listExecs({ hubId: t.config.hubId, project: 'box', limit: 1 });
    expect(last).toMatchObject({
      project: 'box',
      command: ['/bin/sh', '-c', 'exit 5'],
      exitCode: 5,
      source: 'cli',
    });
    expect(last!.timedOut).toBe(false);
  });
});
