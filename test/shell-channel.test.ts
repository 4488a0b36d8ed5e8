import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExec } from '../src/exec/run-exec.js';
import { ShellChannel } from '../src/exec/shell/shell-channel.js';
import { silentLogger } from '../src/logger.js';
import type { ContainerSpec } from '../src/runtime/container-runtime.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';

const runtime = new DockerRuntime(silentLogger());
const tag = randomBytes(4).toString('hex');

function spec(name: string, image: string, cmd: string[]): ContainerSpec {
  return {
    name: `berth-shell-test-${tag}-${name}`,
    image,
    cmd,
    labels: { 'berth.test': `shell-${tag}` },
    env: {},
    mounts: [],
    network: { mode: 'none' },
    security: { capDrop: ['ALL'], capAdd: [], noNewPrivileges: true, readOnlyRootfs: false },
    resources: { nanoCpus: 1e9, memoryBytes: 128 * 1024 * 1024, pidsLimit: 128 },
    restart: 'no',
    init: true,
  };
}

describe.each([
  ['busybox ash', 'berth-test/busybox'],
  ['Debian dash', 'berth-test/toolchain'],
])('attached shells (%s): commands without an engine exec each', (_name, image) => {
  let id: string;
  let shells: ShellChannel;
  const run = (command: string, timeoutMs = 20_000) =>
    runExec(
      runtime,
      id,
      { argv: ['/bin/sh', '-c', command], timeoutMs, env: { GREETING: 'hi there' } },
      shells,
    );

  beforeAll(async () => {
    id = await runtime.createContainer(
      spec(image.replace(/\W/g, '-'), image, ['/bin/sh', '-c', 'while :; do sleep 3600; done']),
    );
    await runtime.startContainer(id);
    shells = new ShellChannel(runtime, id, silentLogger());
  });
  afterAll(async () => {
    shells?.close();
    if (id) await runtime.removeContainer(id);
  });

  it('passes exit codes, separate streams, env and output without a final newline', async () => {
    const r = await run('printf "out:$GREETING"; printf "err" >&2; exit 7');
    expect(r).toMatchObject({ exitCode: 7, stdout: 'out:hi there', stderr: 'err', timedOut: false });
  });

  it('keeps bytes as they are, and reuses one shell for command after command', async () => {
    const bytes = await run("printf '\\000\\001\\377\\n\\n'; echo $PPID >&2");
    expect(Buffer.from(bytes.stdout, 'latin1').length).toBeGreaterThan(0);
    expect(bytes.stdout).toBe('\u0000\u0001\ufffd\n\n');
    const again = await run('echo $PPID >&2');
    expect(again.stderr).toBe(bytes.stderr);
  });

  it('runs in the working directory asked for, and a command reading stdin gets EOF', async () => {
    const r = await runExec(
      runtime,
      id,
      { argv: ['/bin/sh', '-c', 'pwd; cat; echo done'], cwd: '/tmp' },
      shells,
    );
    expect(r.stdout).toBe('/tmp\ndone\n');
  });

  it('a background child that keeps stdout open does not hold the call or leak into the next one', async () => {
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
    const r = await runExec(
      runtime,
      id,
      {
        argv: ['/bin/sh', '-c', 'head -c 4000 /dev/zero; sleep 0.3; head -c 40000 /dev/zero'],
        onStdout: (c) => {
          bytes += c.length;
          return pauses > 0;
        },
        drain: async () => {
          pauses++;
          await new Promise((resolve) => setTimeout(resolve, 3000));
        },
      },
      shells,
    );
    expect(pauses).toBe(1);
    expect(r.exitCode).toBe(0);
    expect(bytes).toBe(44_000);
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

describe('attached shells: an image that cannot host one', () => {
  it('says so before anything runs, so the caller uses the engine', async () => {
    const id = await runtime.createContainer(spec('noshell', 'berth-test/noshell', ['/pause']));
    try {
      await runtime.startContainer(id).catch(() => undefined);
      const shells = new ShellChannel(runtime, id, silentLogger());
      expect(await shells.exec({ cmd: ['true'] })).toBeUndefined();
    } finally {
      await runtime.removeContainer(id);
    }
  });
});
