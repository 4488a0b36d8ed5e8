import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runnerDirFor } from '../src/exec/runner/runner-dir.js';
import { busybox, createTestHub } from './helpers/test-hub.js';

describe('in-container runner: untrusted folder, safe fallbacks', () => {
  it('a symlink planted as the request FIFO never makes the hub write a host file', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    const victim = join(t.dir, 'victim.txt');
    writeFileSync(victim, 'untouched');
    const plant = await t.hub.exec('box', [
      '/bin/sh',
      '-c',
      `rm /run/berth/requests && ln -s ${victim} /run/berth/requests`,
    ]);
    expect(plant.exitCode).toBe(0);
    // the next command still runs (through the engine) and the host file is unchanged
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'echo $PPID; echo still works']);
    expect(r.stdout).toBe('0\nstill works\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
  });

  it('a regular file in place of the FIFO is refused the same way', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    await t.hub.exec('box', ['/bin/sh', '-c', 'rm /run/berth/requests && echo junk > /run/berth/requests']);
    const r = await t.hub.exec('box', ['echo', 'fallback']);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'fallback\n' });
    expect(readFileSync(join(runnerDirFor(t.home, t.config.hubId, 'box'), 'requests'), 'utf8')).toBe(
      'junk\n',
    );
  });

  it('leaves no request files behind, and down removes the folder', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    const dir = runnerDirFor(t.home, t.config.hubId, 'box');
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.hub.exec('box', ['echo', String(i)])));
    expect(readdirSync(dir)).toEqual(['requests']);
    await t.hub.down();
    expect(existsSync(dir)).toBe(false);
  });

  it('a background child that keeps stdout open does not hold the call, as with the engine', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    const started = performance.now();
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'sleep 300 & echo started; echo err >&2; exit 3'], {
      timeoutMs: 30_000,
    });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'started\n', stderr: 'err\n', timedOut: false });
    expect(performance.now() - started).toBeLessThan(10_000);
    // the child lives on in a project container (a session would end it with the call)
    const ps = await t.hub.exec('box', ['/bin/sh', '-c', 'ps -o args | grep -c "^sleep 300"']);
    expect(ps.stdout.trim()).toBe('1');
  });

  it('output still waiting for a paused reader after the command exited is never cut', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    let bytes = 0;
    let pauses = 0;
    const r = await t.hub.exec(
      'box',
      ['/bin/sh', '-c', 'head -c 4000 /dev/zero; sleep 0.3; head -c 40000 /dev/zero'],
      {
        onStdout: (c) => {
          bytes += c.length;
          return pauses > 0; // the first chunk asks for a pause
        },
        drain: async () => {
          pauses++;
          await new Promise((resolve) => setTimeout(resolve, 3000)); // longer than the 2 s grace
        },
      },
    );
    expect(pauses).toBe(1);
    expect(r.exitCode).toBe(0);
    expect(bytes).toBe(44_000);
  });

  it('runs concurrent commands without mixing their output', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.hub.exec('box', [
          '/bin/sh',
          '-c',
          `for n in 1 2 3 4 5; do echo ${i}-$n; echo e${i} >&2; done; exit ${i}`,
        ]),
      ),
    );
    results.forEach((r, i) => {
      expect(r.exitCode).toBe(i);
      expect(r.stdout).toBe([1, 2, 3, 4, 5].map((n) => `${i}-${n}\n`).join(''));
      expect(r.stderr).toBe(`e${i}\n`.repeat(5));
    });
  });
});
