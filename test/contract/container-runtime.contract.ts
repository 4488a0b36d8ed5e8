import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerRuntime, ContainerSpec } from '../../src/runtime/container-runtime.js';

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
      name: `berth-contract-${run}-${suffix}`,
      image,
      cmd: ['/bin/sh', '-c', "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
      labels: { ...labels, 'berth.suffix': suffix },
      env: { CONTRACT: 'yes' },
      mounts: [],
      network: { mode: 'none' },
      security: { capDrop: ['ALL'], capAdd: [], noNewPrivileges: true, readOnlyRootfs: false },
      resources: { nanoCpus: 5e8, memoryBytes: 64 * 1024 * 1024, pidsLimit: 64 },
      restart: 'no',
      init: true,
      ...extra,
    });

    afterAll(async () => {
      for (const id of created) await runtime.removeContainer(id);
      for (const id of networks) await runtime.removeNetwork(id);
    });

    it('answers a ping with engine facts', async () => {
      const info = await runtime.ping();
      expect(info.version).not.toBe('');
      expect(info.endpoint).not.toBe('');
    });

    it('finds images that exist and says undefined for ones that do not', async () => {
      expect((await runtime.inspectImage(image))?.id).toMatch(/^sha256:/);
      expect(await runtime.inspectImage(`berth-test/missing-${run}`)).toBeUndefined();
    });

    it('creates, lists by label, starts idempotently, and removes idempotently', async () => {
      const id = await runtime.createContainer(spec('life'));
      created.push(id);
      expect((await runtime.inspectContainer(id))?.state).toBe('created');
      await runtime.startContainer(id);
      await runtime.startContainer(id);
      const info = await runtime.inspectContainer(id);
      expect(info).toMatchObject({ id, state: 'running', labels: expect.objectContaining(labels) });
      expect(info?.startedAt).toBeInstanceOf(Date);
      const listed = await runtime.listContainers({ ...labels, 'berth.suffix': 'life' });
      expect(listed.map((c) => c.id)).toEqual([id]);
      expect(await runtime.listContainers({ 'berth.hub': `contract-other-${run}` })).toEqual([]);
      await runtime.stopContainer(id, 1);
      expect((await runtime.inspectContainer(id))?.state).toBe('exited');
      await runtime.removeContainer(id);
      await runtime.removeContainer(id);
      expect(await runtime.inspectContainer(id)).toBeUndefined();
    });

    it('execs with exit codes, separate streams, env, cwd and user', async () => {
      const id = await runtime.createContainer(spec('exec'));
      created.push(id);
      await runtime.startContainer(id);
      let out = '';
      let err = '';
      const result = await runtime.exec(id, {
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
      });
      expect(result.exitCode).toBe(9);
      expect(out).toBe('yes more /tmp 1234\n');
      expect(err).toBe('oops\n');
    });

    it('creates, finds and removes labelled networks idempotently', async () => {
      const netLabels = { ...labels, 'berth.role': 'network' };
      const net = await runtime.createNetwork({ name: `berth-contract-${run}`, labels: netLabels });
      networks.push(net.id);
      expect((await runtime.listNetworks(netLabels)).map((n) => n.id)).toEqual([net.id]);
      const id = await runtime.createContainer(spec('net', { network: { mode: 'network', name: net.name } }));
      created.push(id);
      await runtime.startContainer(id);
      expect(Object.keys((await runtime.inspectContainer(id))!.ipAddresses)).toEqual([net.name]);
      await runtime.removeContainer(id);
      await runtime.removeNetwork(net.id);
      await runtime.removeNetwork(net.id);
      expect(await runtime.listNetworks(netLabels)).toEqual([]);
    });

    it('copies files in and out as tar archives', async () => {
      const id = await runtime.createContainer(spec('archive'));
      created.push(id);
      await runtime.startContainer(id);
      const tar = await runtime.getArchive(id, '/etc/passwd');
      const chunks: Buffer[] = [];
      for await (const c of tar) chunks.push(c as Buffer);
      const archive = Buffer.concat(chunks);
      expect(archive.toString('latin1')).toContain('root:x:0:0');
      await runtime.putArchive(id, '/tmp', Readable.from([archive]));
      const check = await runtime.exec(id, { cmd: ['cat', '/tmp/passwd'], onStdout: () => undefined });
      expect(check.exitCode).toBe(0);
    });

    it('waits for a container to stop, at once when it is not running, and stops waiting on abort', async () => {
      const id = await runtime.createContainer(spec('wait'));
      created.push(id);
      await runtime.waitContainer(id); // created, not running
      await runtime.startContainer(id);
      const waiting = new AbortController();
      let settled = false;
      const abandoned = runtime.waitContainer(id, waiting.signal).then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false);
      waiting.abort();
      await abandoned;
      const stopped = runtime.waitContainer(id);
      await runtime.stopContainer(id, 1);
      await stopped;
      expect((await runtime.inspectContainer(id))?.state).toBe('exited');
    });

    it('applies RLIMIT_NPROC, and tells out-of-memory kills apart', async () => {
      const id = await runtime.createContainer(
        spec('limits', {
          user: '1000:1000',
          resources: { nanoCpus: 5e8, memoryBytes: 32 * 1024 * 1024, pidsLimit: 64, nproc: 40 },
        }),
      );
      created.push(id);
      const since = new Date(Date.now() - 1000);
      await runtime.startContainer(id);
      let out = '';
      await runtime.exec(id, { cmd: ['/bin/sh', '-c', 'ulimit -u'], onStdout: (c) => void (out += c) });
      expect(out.trim()).toBe('40');
      expect(await runtime.countOomKills(id, since)).toBe(0);
      const hog = await runtime.exec(id, {
        cmd: ['awk', 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'],
      });
      expect(hog.exitCode).toBe(137);
      expect(await runtime.countOomKills(id, since)).toBeGreaterThan(0);
      // the container itself lives on: only the process was killed
      expect((await runtime.inspectContainer(id))?.oomKilled).toBeUndefined();
    });

    it('treats operations on missing things as no-ops or undefined', async () => {
      const ghost = 'f'.repeat(64);
      expect(await runtime.inspectContainer(ghost)).toBeUndefined();
      await runtime.removeContainer(ghost);
      await runtime.stopContainer(ghost);
      await runtime.removeNetwork(`berth-contract-missing-${run}`);
    });
  });
}
