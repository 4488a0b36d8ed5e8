import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerRuntime, ContainerSpec } from '../../src/runtime/container-runtime.js';
import { hardenedSpec } from '../../src/runtime/hardened-spec.js';

/**
 * The behaviour every ContainerRuntime must have. Run it once per implementation with a factory
 * and an image that has /bin/sh and busybox-style tools.
 */
export function containerRuntimeContract(name: string, make: () => ContainerRuntime, image: string): void {
  describe(`ContainerRuntime contract: ${name}`, () => {
    const runtime = make();
    const run = randomBytes(4).toString('hex');
    const labels = { 'berth.hub': `contract-${run}`, 'berth.role': 'project', 'berth.project': 'c' };
    const created: string[] = [];
    const networks: string[] = [];

    const spec = (suffix: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
      ...hardenedSpec({
        name: `berth-contract-${run}-${suffix}`,
        image,
        cmd: ['/bin/sh', '-c', "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
        labels: { ...labels, 'berth.suffix': suffix },
        env: { CONTRACT: 'yes' },
        limits: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024, pids: 64 },
      }),
      ...extra,
    });

    const volumes: string[] = [];

    afterAll(async () => {
      for (const id of created) await runtime.containers.remove(id);
      for (const id of networks) await runtime.networks.remove(id);
      for (const name of volumes) await runtime.volumes.remove(name);
    });

    const started = async (suffix: string, extra: Partial<ContainerSpec> = {}): Promise<string> => {
      const id = await runtime.containers.create(spec(suffix, extra));
      created.push(id);
      await runtime.containers.start(id);
      return id;
    };

    const sh = async (id: string, script: string, user?: string): Promise<{ code?: number; out: string }> => {
      let out = '';
      const r = await runtime.exec.run(
        { id },
        {
          cmd: ['/bin/sh', '-c', script],
          ...(user !== undefined ? { user } : {}),
          onStdout: (c) => void (out += c),
          onStderr: (c) => void (out += c),
        },
      );
      return { ...(r.exitCode !== undefined ? { code: r.exitCode } : {}), out };
    };

    it('answers a ping with engine facts', async () => {
      const info = await runtime.ping();
      expect(info.version).not.toBe('');
      expect(info.endpoint).not.toBe('');
    });

    it('finds images that exist and says undefined for ones that do not', async () => {
      expect((await runtime.images.inspect(image))?.id).toMatch(/^sha256:/);
      expect(await runtime.images.inspect(`berth-test/missing-${run}`)).toBeUndefined();
    });

    it('creates, lists by label, starts idempotently, and removes idempotently', async () => {
      const id = await runtime.containers.create(spec('life'));
      created.push(id);
      expect((await runtime.containers.inspect(id))?.state).toBe('created');
      await runtime.containers.start(id);
      await runtime.containers.start(id);
      const info = await runtime.containers.inspect(id);
      expect(info).toMatchObject({ id, state: 'running', labels: expect.objectContaining(labels) });
      expect(info?.startedAt).toBeInstanceOf(Date);
      const listed = await runtime.containers.list({ ...labels, 'berth.suffix': 'life' });
      expect(listed.map((c) => c.id)).toEqual([id]);
      expect(await runtime.containers.list({ 'berth.hub': `contract-other-${run}` })).toEqual([]);
      await runtime.containers.stop(id, 1);
      expect((await runtime.containers.inspect(id))?.state).toBe('exited');
      await runtime.containers.remove(id);
      await runtime.containers.remove(id);
      expect(await runtime.containers.inspect(id)).toBeUndefined();
    });

    it('execs with exit codes, separate streams, env, cwd and user', async () => {
      const id = await runtime.containers.create(spec('exec'));
      created.push(id);
      await runtime.containers.start(id);
      let out = '';
      let err = '';
      const result = await runtime.exec.run(
        { id },
        {
          cmd: ['/bin/sh', '-c', 'echo "$CONTRACT $EXTRA $(pwd) $(id -u)"; echo oops >&2; exit 9'],
          env: { EXTRA: 'more' },
          workingDir: '/tmp',
          user: '1234:1234',
          onStdout: (c) => {
            out += c.toString();
          },
          onStderr: (c) => {
            err += c.toString();
          },
        },
      );
      expect(result.exitCode).toBe(9);
      expect(out).toBe('yes more /tmp 1234\n');
      expect(err).toBe('oops\n');
    });

    it('creates, finds and removes labelled networks idempotently', async () => {
      const netLabels = { ...labels, 'berth.role': 'network' };
      const net = await runtime.networks.create({ name: `berth-contract-${run}`, labels: netLabels });
      networks.push(net.id);
      expect((await runtime.networks.list(netLabels)).map((n) => n.id)).toEqual([net.id]);
      const id = await runtime.containers.create(
        spec('net', { network: { mode: 'network', name: net.name } }),
      );
      created.push(id);
      await runtime.containers.start(id);
      expect(Object.keys((await runtime.containers.inspect(id))!.ipAddresses)).toEqual([net.name]);
      await runtime.containers.remove(id);
      await runtime.networks.remove(net.id);
      await runtime.networks.remove(net.id);
      expect(await runtime.networks.list(netLabels)).toEqual([]);
    });

    it('copies files in and out as tar archives', async () => {
      const id = await runtime.containers.create(spec('archive'));
      created.push(id);
      await runtime.containers.start(id);
      const tar = await runtime.files.get(id, '/etc/passwd');
      const chunks: Buffer[] = [];
      for await (const c of tar) chunks.push(c as Buffer);
      const archive = Buffer.concat(chunks);
      expect(archive.toString('latin1')).toContain('root:x:0:0');
      await runtime.files.put(id, '/tmp', Readable.from([archive]));
      const check = await runtime.exec.run(
        { id },
        { cmd: ['cat', '/tmp/passwd'], onStdout: () => undefined },
      );
      expect(check.exitCode).toBe(0);
    });

    it('waits for a container to stop, at once when it is not running, and stops waiting on abort', async () => {
      const id = await runtime.containers.create(spec('wait'));
      created.push(id);
      await runtime.containers.wait(id); // created, not running
      await runtime.containers.start(id);
      const waiting = new AbortController();
      let settled = false;
      const abandoned = runtime.containers.wait(id, waiting.signal).then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false);
      waiting.abort();
      await abandoned;
      const stopped = runtime.containers.wait(id);
      await runtime.containers.stop(id, 1);
      await stopped;
      expect((await runtime.containers.inspect(id))?.state).toBe('exited');
    });

    it('applies RLIMIT_NPROC, and tells out-of-memory kills apart', async () => {
      // RLIMIT_NPROC counts every process of the uid on the machine, not in the container: a
      // uid no other test runs as, or another test's processes as uid 1000 can stop this
      // container's first exec (CI once saw it exit at start)
      const id = await runtime.containers.create(
        spec('limits', {
          user: '4242:4242',
          resources: { cpus: 0.5, memoryBytes: 32 * 1024 * 1024, pids: 64, nproc: 40 },
        }),
      );
      created.push(id);
      const since = new Date(Date.now() - 1000);
      await runtime.containers.start(id);
      let out = '';
      await runtime.exec.run(
        { id },
        { cmd: ['/bin/sh', '-c', 'ulimit -u'], onStdout: (c) => void (out += c) },
      );
      expect(out.trim()).toBe('40');
      expect(await runtime.events.countOomKills(id, since)).toBe(0);
      const hog = await runtime.exec.run(
        { id },
        {
          cmd: ['awk', 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'],
        },
      );
      expect(hog.exitCode).toBe(137);
      expect(await runtime.events.countOomKills(id, since)).toBeGreaterThan(0);
      // the container itself lives on: only the process was killed
      expect((await runtime.containers.inspect(id))?.oomKilled).toBeUndefined();
    });

    it('publishes a port on 127.0.0.1 only, on a host port it picked and reports', async () => {
      const id = await started('port', {
        cmd: [
          '/bin/sh',
          '-c',
          'mkdir -p /tmp/www && echo hi > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
        ],
        network: { mode: 'bridge' },
        ports: [{ containerPort: 8080, hostPort: 0 }],
      });
      const info = await runtime.containers.inspect(id);
      const binding = info?.ports.find((p) => p.containerPort === 8080);
      expect(binding).toMatchObject({ protocol: 'tcp', hostIp: '127.0.0.1' });
      expect(binding!.hostPort).toBeGreaterThan(0);
      const listed = await runtime.containers.list({ ...labels, 'berth.suffix': 'port' });
      expect(listed[0]?.ports).toEqual([binding]);
      // the server may take a moment to listen
      let answer: string | undefined;
      for (let i = 0; i < 50; i++) {
        answer = await tryConnect('127.0.0.1', binding!.hostPort);
        if (answer === 'connected') break;
        await pause(100);
      }
      expect(answer).toBe('connected');
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
        .map((a) => a!.address);
      expect(others.length).toBeGreaterThan(0);
      for (const address of others)
        expect(await tryConnect(address, binding!.hostPort)).not.toBe('connected');
    });

    it('keeps a named volume across a container recreate, labelled, until it is removed', async () => {
      const name = `berth-contract-${run}-data`;
      volumes.push(name);
      const volLabels = { ...labels, 'berth.role': 'volume' };
      const withVolume = { volumes: [{ name, target: '/data', labels: volLabels }] };
      const first = await started('vol1', withVolume);
      expect(await sh(first, 'echo kept > /data/file && cat /data/file')).toEqual({ code: 0, out: 'kept\n' });
      expect(await runtime.volumes.list(volLabels)).toEqual([
        { name, labels: expect.objectContaining(volLabels) },
      ]);
      await runtime.containers.remove(first);
      expect((await runtime.volumes.list(volLabels)).map((v) => v.name)).toEqual([name]);
      const second = await started('vol2', withVolume);
      expect(await sh(second, 'cat /data/file')).toEqual({ code: 0, out: 'kept\n' });
      await runtime.containers.remove(second);
      await runtime.volumes.remove(name);
      await runtime.volumes.remove(name);
      expect(await runtime.volumes.list(volLabels)).toEqual([]);
    });

    it('mounts a tmpfs that is writable and empty at every start', async () => {
      const id = await started('tmpfs', {
        user: '1000:1000',
        tmpfs: [{ target: '/scratch', sizeBytes: 8 * 1024 * 1024 }],
      });
      expect(await sh(id, 'ls -A /scratch; echo x > /scratch/f && cat /scratch/f')).toEqual({
        code: 0,
        out: 'x\n',
      });
      await runtime.containers.stop(id, 1);
      await runtime.containers.start(id);
      expect(await sh(id, 'ls -A /scratch')).toEqual({ code: 0, out: '' });
    });

    it('runs a health check that turns the container healthy', async () => {
      const id = await started('health', {
        healthCheck: {
          cmd: ['/bin/sh', '-c', 'test -e /tmp/ok'],
          intervalMs: 200,
          timeoutMs: 2000,
          retries: 3,
          startPeriodMs: 0,
        },
      });
      expect((await runtime.containers.inspect(id))?.health).not.toBe('healthy');
      await sh(id, 'touch /tmp/ok');
      let health: string | undefined;
      for (let i = 0; i < 100 && health !== 'healthy'; i++) {
        await pause(100);
        health = (await runtime.containers.inspect(id))?.health;
      }
      expect(health).toBe('healthy');
      const listed = await runtime.containers.list({ ...labels, 'berth.suffix': 'health' });
      expect(listed[0]?.health).toBe('healthy');
    });

    it('treats operations on missing things as no-ops or undefined', async () => {
      const ghost = 'f'.repeat(64);
      expect(await runtime.containers.inspect(ghost)).toBeUndefined();
      await runtime.containers.remove(ghost);
      await runtime.containers.stop(ghost);
      await runtime.networks.remove(`berth-contract-missing-${run}`);
      await runtime.volumes.remove(`berth-contract-missing-${run}`);
    });
  });
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** 'connected', or why not. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000, () => socket.destroy(new Error('no answer within 2 s')));
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err) => resolve(err.message));
  });
}
