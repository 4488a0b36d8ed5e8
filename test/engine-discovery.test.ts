import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import {
  defaultStrategies,
  discoverEngine,
  dockerHostStrategy,
  socketStrategy,
} from '../src/runtime/docker/engine-discovery.js';

describe('engine discovery', () => {
  it('tries DOCKER_HOST, the docker socket, then podman sockets, in that order', () => {
    const names = defaultStrategies({ XDG_RUNTIME_DIR: '/run/user/1000' }).map((s) => s.getName());
    expect(names).toEqual([
      'DOCKER_HOST=',
      'docker socket (/var/run/docker.sock)',
      'podman socket (/run/user/1000/podman/podman.sock)',
      'podman socket (/run/podman/podman.sock)',
    ]);
  });

  it('skips strategies that do not apply and takes the first engine that answers', async () => {
    const engine = await discoverEngine(
      [
        dockerHostStrategy({}),
        socketStrategy('nowhere', '/tmp/berth-no-socket.sock'),
        socketStrategy('docker socket', '/var/run/docker.sock'),
      ],
      silentLogger(),
    );
    expect(engine.endpoint).toBe('docker socket (/var/run/docker.sock)');
  });

  it('an explicit DOCKER_HOST that does not answer stops the search with advice', async () => {
    const attempt = discoverEngine(
      [
        dockerHostStrategy({ DOCKER_HOST: 'tcp://127.0.0.1:1' }),
        socketStrategy('docker socket', '/var/run/docker.sock'),
      ],
      silentLogger(),
    );
    await expect(attempt).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE' });
    await expect(attempt).rejects.toThrow(/Tried DOCKER_HOST=tcp:\/\/127\.0\.0\.1:1: .*bootstrap-engine\.sh/);
  });
});
