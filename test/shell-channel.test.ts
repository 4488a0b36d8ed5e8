import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExec } from '../src/exec/run-exec.js';
import { silentLogger } from '../src/logger.js';
import type { ContainerSpec } from '../src/runtime/container-runtime.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { hardenedSpec } from '../src/runtime/hardened-spec.js';
import { ShellChannel } from '../src/runtime/shell/shell-channel.js';

// What every channel does is in test/contract/exec-channel.contract.ts (run by
// exec-channels.test.ts); this file holds what only attached shells do.
const runtime = new DockerRuntime(silentLogger());
const tag = randomBytes(4).toString('hex');

function spec(name: string, image: string, cmd: string[]): ContainerSpec {
  return hardenedSpec({
    name: `berth-shell-test-${tag}-${name}`,
    image,
    cmd,
    labels: { 'berth.test': `shell-${tag}` },
    limits: { cpus: 1, memoryBytes: 128 * 1024 * 1024, pids: 128 },
  });
}

describe.each([
  ['busybox ash', 'berth-test/busybox'],
  ['Debian dash', 'berth-test/toolchain'],
])('attached shells (%s): commands without an engine exec each', (_name, image) => {
  let id: string;
  const run = (command: string, timeoutMs = 20_000) =>
    runExec(
      runtime,
      { id, foreign: true },
      { argv: ['/bin/sh', '-c', command], timeoutMs, env: { GREETING: 'hi there' } },
    );

  beforeAll(async () => {
    id = await runtime.containers.create(
      spec(image.replace(/\W/g, '-'), image, ['/bin/sh', '-c', 'while :; do sleep 3600; done']),
    );
    await runtime.containers.start(id);
  });
  afterAll(async () => {
    runtime.close();
    if (id) await runtime.containers.remove(id);
  });

  it('keeps bytes as they are, and reuses one shell for command after command', async () => {
    const bytes = await run("printf '\\000\\001\\377\\n\\n'; echo $PPID >&2");
    expect(Buffer.from(bytes.stdout, 'latin1').length).toBeGreaterThan(0);
    expect(bytes.stdout).toBe('\u0000\u0001\ufffd\n\n');
    const again = await run('echo $PPID >&2');
    expect(again.stderr).toBe(bytes.stderr);
  });
});

describe('attached shells: an image that cannot host one', () => {
  it('says so before anything runs, so the caller uses the engine', async () => {
    const id = await runtime.containers.create(spec('noshell', 'berth-test/noshell', ['/pause']));
    try {
      await runtime.containers.start(id).catch(() => undefined);
      const host = {
        attach: (options: Parameters<DockerRuntime['exec']['attach']>[1]) => runtime.exec.attach(id, options),
        kill: (marker: string, deadlineMs: number) => runtime.exec.kill({ id }, marker, { deadlineMs }),
      };
      const shells = new ShellChannel(host, id, silentLogger());
      expect(await shells.exec({ cmd: ['true'] })).toBeUndefined();
    } finally {
      await runtime.containers.remove(id);
    }
  });
});
