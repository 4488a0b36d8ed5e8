import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../src/logger.js';
import type { ContainerRuntime, ContainerSpec } from '../src/runtime/container-runtime.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { hardenedSpec } from '../src/runtime/hardened-spec.js';
import { execChannelContract, type ChannelUnderTest } from './contract/exec-channel.contract.js';
import { makeTempDir } from './helpers/test-hub.js';

// The exec channels of the Docker runtime against the real engine, each picked the way berth
// picks it: by what the target is. (bubblewrap's agent and Kubernetes' exec API will run this
// same suite when they exist.)
const tag = randomBytes(4).toString('hex');

function spec(name: string, image: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    ...hardenedSpec({
      name: `berth-channel-test-${tag}-${name}`,
      image,
      cmd: ['/bin/sh', '-c', 'while :; do sleep 3600; done'],
      labels: { 'berth.test': `channel-${tag}` },
      limits: { cpus: 1, memoryBytes: 128 * 1024 * 1024, pids: 128 },
    }),
    ...extra,
  };
}

/**
 * Waits until the runner in the container reads its request FIFO: until then a command takes
 * the engine's exec (the fallback), which is not the channel under test.
 */
async function runnerListening(agentDir: string, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      closeSync(openSync(join(agentDir, 'requests'), constants.O_WRONLY | constants.O_NONBLOCK));
      return;
    } catch {
      // ENOENT: not made yet; ENXIO: no reader yet
    }
    if (Date.now() > until) throw new Error(`the runner did not start within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function started(runtime: ContainerRuntime, containerSpec: ContainerSpec): Promise<string> {
  const id = await runtime.containers.create(containerSpec);
  await runtime.containers.start(id);
  return id;
}

execChannelContract('the in-container agent (runner)', async (): Promise<ChannelUnderTest> => {
  const root = makeTempDir();
  const runtime = new DockerRuntime(silentLogger(), { agentRoot: join(root, 'run') });
  const agentSpec = spec('agent', 'berth-test/busybox', { agent: true, user: '1000:1000' });
  delete agentSpec.cmd;
  const id = await started(runtime, agentSpec);
  await runnerListening(runtime.exec.agentDir(agentSpec.name)!);
  return {
    runtime,
    target: { name: agentSpec.name, id },
    parentInside: true,
    close: async () => {
      await runtime.containers.remove(id);
      rmSync(root, { recursive: true, force: true });
    },
  };
});

for (const [shell, image] of [
  ['busybox ash', 'berth-test/busybox'],
  ['Debian dash', 'berth-test/toolchain'],
] as const) {
  execChannelContract(`attached shells (${shell})`, async (): Promise<ChannelUnderTest> => {
    const runtime = new DockerRuntime(silentLogger());
    const id = await started(runtime, spec(image.replace(/\W/g, '-'), image));
    return {
      runtime,
      // a container berth did not create: the runtime keeps shells attached to it
      target: { id, foreign: true },
      parentInside: true,
      close: async () => {
        runtime.close();
        await runtime.containers.remove(id);
      },
    };
  });
}

execChannelContract('the engine exec', async (): Promise<ChannelUnderTest> => {
  const runtime = new DockerRuntime(silentLogger());
  const id = await started(runtime, spec('engine', 'berth-test/busybox'));
  return {
    runtime,
    target: { id },
    parentInside: false,
    close: () => runtime.containers.remove(id),
  };
});
