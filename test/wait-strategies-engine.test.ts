import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { hardenedSpec, type HardenedSpecInput } from '../src/runtime/hardened-spec.js';
import { containerProbes } from '../src/exec/wait/container-probes.js';
import { httpBelow500, logLine, shellReady, tcpPort } from '../src/exec/wait/strategies.js';
import { waitUntilReady } from '../src/exec/wait/wait-strategy.js';

const runtime = new DockerRuntime(silentLogger());
const run = randomBytes(4).toString('hex');
const created: string[] = [];
const networks: string[] = [];

async function start(name: string, script: string, extra: Partial<HardenedSpecInput> = {}): Promise<string> {
  const network = await runtime.networks.create({
    name: `berth-wait-${run}-${name}`,
    labels: { 'berth.hub': `wait-${run}`, 'berth.role': 'network' },
  });
  networks.push(network.id);
  const spec = hardenedSpec({
    name: `berth-wait-${run}-${name}`,
    image: 'berth-test/busybox',
    cmd: ['/bin/sh', '-c', script],
    labels: { 'berth.hub': `wait-${run}`, 'berth.role': 'project', 'berth.project': name },
    limits: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024, pids: 64 },
    network: { mode: 'network', name: network.name },
    user: '65534:65534',
    ...extra,
  });
  const id = await runtime.containers.create(spec);
  created.push(id);
  await runtime.containers.start(id);
  return id;
}

afterAll(async () => {
  for (const id of created) await runtime.containers.remove(id);
  for (const id of networks) await runtime.networks.remove(id);
});

describe('wait strategies against a real container', () => {
  it('a dev server that starts late: log line, TCP port and HTTP below 500', async () => {
    const id = await start(
      'web',
      'mkdir -p /tmp/www && echo hi > /tmp/www/index.html && sleep 1 && echo "server listening on 8080" && exec httpd -f -p 8080 -h /tmp/www',
    );
    const probes = containerProbes(runtime, id);
    const started = Date.now();
    await waitUntilReady(shellReady(), probes, { timeoutMs: 10_000, subject: 'preview web' });
    await waitUntilReady(logLine(/listening on 8080/), probes, { timeoutMs: 10_000, subject: 'preview web' });
    await waitUntilReady(tcpPort(8080), probes, { timeoutMs: 10_000, subject: 'preview web' });
    await waitUntilReady(httpBelow500(8080, '/'), probes, { timeoutMs: 10_000, subject: 'preview web' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // a port nothing listens on is reported, with the reason
    await expect(
      waitUntilReady(tcpPort(9), probes, { timeoutMs: 600, subject: 'preview web' }),
    ).rejects.toThrow(
      /^preview web is not ready: waited \d\.\d s for port 9 to accept connections; last seen: .*ECONNREFUSED/,
    );
  });

  it('a server that answers 500 is not ready; a container that exits stops the wait at once', async () => {
    // every connection gets a 503, as a dev server does while it compiles
    const id = await start(
      'broken',
      "while :; do printf 'HTTP/1.1 503 Service Unavailable\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' | nc -l -p 8080; done",
    );
    const probes = containerProbes(runtime, id);
    await waitUntilReady(tcpPort(8080), probes, { timeoutMs: 10_000, subject: 'preview broken' });
    await expect(
      waitUntilReady(httpBelow500(8080, '/'), probes, { timeoutMs: 800, subject: 'preview broken' }),
    ).rejects.toThrow(/last seen: HTTP 503/);

    const gone = await start('gone', 'echo booting; exit 3');
    const started = Date.now();
    await expect(
      waitUntilReady(logLine(/ready/), containerProbes(runtime, gone), {
        timeoutMs: 20_000,
        subject: 'preview gone',
      }),
    ).rejects.toThrow(/the container stopped/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a published port is probed through the host port it got, on 127.0.0.1', async () => {
    const id = await start(
      'published',
      'mkdir -p /tmp/www && echo hi > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
      { ports: [{ containerPort: 8080 }] },
    );
    const probes = containerProbes(runtime, id);
    const info = await runtime.containers.inspect(id);
    const hostPort = info!.ports.find((p) => p.containerPort === 8080)!.hostPort;
    expect(await probes.address(8080)).toEqual({ host: '127.0.0.1', port: hostPort });
    // a port it does not publish: the container's own address
    expect((await probes.address(9000))?.host).toBe(Object.values(info!.ipAddresses)[0]);
    await waitUntilReady(httpBelow500(8080, '/'), probes, {
      timeoutMs: 10_000,
      subject: 'preview published',
    });
  });
});
