import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExec, type ExecRequest, type ExecResult } from '../../src/exec/run-exec.js';
import type { ContainerRuntime, ExecTarget } from '../../src/runtime/container-runtime.js';

/** One way into a container, set up for the contract: a runtime, a target, and a way to end it. */
export interface ChannelUnderTest {
  runtime: ContainerRuntime;
  target: ExecTarget;
  /** Whether a command's parent process is inside the container (an agent or a shell there). */
  parentInside: boolean;
  close(): Promise<void>;
}

/**
 * The behaviour every exec channel must have, whatever carries the command (berth's agent, an
 * attached shell, the engine's exec): run it once per channel with a factory that starts a
 * container with /bin/sh and busybox-style tools and picks the channel through its target.
 */
export function execChannelContract(name: string, setup: () => Promise<ChannelUnderTest>): void {
  describe(`exec channel contract: ${name}`, () => {
    let c: ChannelUnderTest;
    const exec = (request: ExecRequest): Promise<ExecResult> => runExec(c.runtime, c.target, request);
    const run = (command: string, timeoutMs = 20_000) =>
      exec({ argv: ['/bin/sh', '-c', command], timeoutMs, env: { GREETING: 'hi there' } });

    beforeAll(async () => {
      c = await setup();
    }, 60_000);
    afterAll(async () => {
      await c?.close();
    });

    it(`runs through ${name}`, async () => {
      // an engine exec's parent is outside the container's PID namespace
      const r = await run('echo $PPID');
      if (c.parentInside) expect(Number(r.stdout)).toBeGreaterThan(0);
      else expect(r.stdout).toBe('0\n');
    });

    it('passes exit codes, separate streams, env and output without a final newline', async () => {
      const r = await run('printf "out:$GREETING"; printf "err" >&2; exit 7');
      expect(r).toMatchObject({ exitCode: 7, stdout: 'out:hi there', stderr: 'err', timedOut: false });
    });

    it('runs in the working directory asked for, and a command reading stdin gets EOF', async () => {
      const r = await exec({ argv: ['/bin/sh', '-c', 'pwd; cat; echo done'], cwd: '/tmp' });
      expect(r.stdout).toBe('/tmp\ndone\n');
    });

    it('a background child that keeps stdout open does not hold the call', async () => {
      const started = performance.now();
      const r = await exec({
        argv: ['/bin/sh', '-c', 'sleep 300 & echo started; echo err >&2; exit 3'],
        timeoutMs: 30_000,
      });
      expect(r).toMatchObject({ exitCode: 3, stdout: 'started\n', stderr: 'err\n', timedOut: false });
      expect(performance.now() - started).toBeLessThan(10_000);
      // the child lives on (a session would end it with the call)
      const ps = await exec({ argv: ['/bin/sh', '-c', 'ps -o args | grep -c "^sleep 300"'] });
      expect(ps.stdout.trim()).toBe('1');
    });

    it('a background child that keeps stdout open does not leak into the next call', async () => {
      const started = performance.now();
      const r = await run('(sleep 6; echo late) & echo started');
      expect(r).toMatchObject({ exitCode: 0, stdout: 'started\n' });
      expect(performance.now() - started).toBeLessThan(5500);
      const next = await run('sleep 6; echo next');
      expect(next.stdout).toBe('next\n');
    });

    it('output still waiting for a paused reader after the command exited is never cut', async () => {
      let bytes = 0;
      let pauses = 0;
      const r = await exec({
        argv: ['/bin/sh', '-c', 'head -c 4000 /dev/zero; sleep 0.3; head -c 40000 /dev/zero'],
        onStdout: (chunk) => {
          bytes += chunk.length;
          return pauses > 0; // the first chunk asks for a pause
        },
        drain: async () => {
          pauses++;
          await new Promise((resolve) => setTimeout(resolve, 3000)); // longer than the 2 s grace
        },
      });
      expect(pauses).toBe(1);
      expect(r.exitCode).toBe(0);
      expect(bytes).toBe(44_000);
    });

    it('runs concurrent commands without mixing their output', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          exec({
            argv: ['/bin/sh', '-c', `for n in 1 2 3 4 5; do echo ${i}-$n; echo e${i} >&2; done; exit ${i}`],
          }),
        ),
      );
      results.forEach((r, i) => {
        expect(r.exitCode).toBe(i);
        expect(r.stdout).toBe([1, 2, 3, 4, 5].map((n) => `${i}-${n}\n`).join(''));
        expect(r.stderr).toBe(`e${i}\n`.repeat(5));
      });
    });

    it('kills at the timeout, and many commands at once come back unmixed', async () => {
      const slow = await run('sleep 100', 500);
      expect(slow.timedOut).toBe(true);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => run(`for n in 1 2 3; do echo ${i}-$n; done; exit ${i}`)),
      );
      results.forEach((r, i) => expect(r).toMatchObject({ exitCode: i, stdout: `${i}-1\n${i}-2\n${i}-3\n` }));
    });
  });
}
