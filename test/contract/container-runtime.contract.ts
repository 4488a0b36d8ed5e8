import { randomBytes } from 'node:crypto';
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

    afterAll(async () => {
      for (const id of created) await runtime.containers.remove(id);
      for (const id of networks) await runtime.networks.remove(id);
    });

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
      const id = await runtime.containers.create(
        spec('limits', {
          user: '1000:1000',
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

    it('treats operations on missing things as no-ops or undefined', async () => {
      const ghost = 'f'.repeat(64);
      expect(await runtime.containers.inspect(ghost)).toBeUndefined();
      await runtime.containers.remove(ghost);
      await runtime.containers.stop(ghost);
      await runtime.networks.remove(`berth-contract-missing-${run}`);
    });
  });
}
