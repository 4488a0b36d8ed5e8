import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBerthError, type BerthError } from '../src/errors.js';
import { silentLogger } from '../src/logger.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { hardenedSpec } from '../src/runtime/hardened-spec.js';
import { AGENT_NODE, ensureAgentImage } from '../src/sync/agent-image.js';
import { containerProbes } from '../src/exec/wait/container-probes.js';
import { ensureSidecar, removeSidecar, sidecarReady } from '../src/sync/sidecar.js';
import { connectAgent, type RemoteReplica } from '../src/sync/remote-replica.js';
import { WorkspacePlacement } from '../src/workspace/placement.js';
import type { ContentChunk } from '../src/workspace/sync-tree/replica.js';
import type { SyncOp } from '../src/workspace/sync-tree/entry.js';

// The sync agent in its side-car against the real engine: berth's own scratch image (node and
// its libraries, no shell) on a labelled volume, driven through RemoteReplica. The agent runs
// from dist/: `npm run build` first (npm test does).
const tag = randomBytes(4).toString('hex');
const labels = { 'berth.test': `sync-agent-${tag}` };
const volumeName = `berth-test-sync-${tag}`;
const sidecarName = `berth-test-sync-${tag}-sidecar`;
const placement = WorkspacePlacement.volume(volumeName);
const runtime = new DockerRuntime(silentLogger());
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const MiB = 1024 * 1024;
const BIG_CHUNKS = 200;

let sidecarId: string;
let replica: RemoteReplica;
const helpers: string[] = [];

function connect(onClose?: (err: BerthError) => void) {
  return connectAgent(runtime, sidecarId, { root: placement.containerRoot, ...(onClose ? { onClose } : {}) });
}

/** Runs node in the side-car (no shell there): the script's exit code. */
async function nodeInSidecar(script: string): Promise<number | undefined> {
  const result = await runtime.exec.run({ id: sidecarId }, { cmd: [AGENT_NODE, '-e', script] });
  return result.exitCode;
}

/** The 200 MB file's pieces: each 1 MiB numbered, so the content is known without keeping it. */
function bigPiece(i: number): Buffer {
  const piece = Buffer.alloc(MiB, i % 251);
  piece.writeUInt32BE(i, 0);
  return piece;
}

function bigDigest(): string {
  const hash = createHash('sha256');
  for (let i = 0; i < BIG_CHUNKS; i++) hash.update(bigPiece(i));
  return hash.digest('hex');
}

beforeAll(async () => {
  const sidecar = await ensureSidecar(runtime, {
    name: sidecarName,
    volume: { name: volumeName, target: placement.containerRoot, labels },
    placement,
    labels,
  });
  sidecarId = sidecar.id;
  replica = await connect();
}, 600_000);

afterAll(async () => {
  await replica?.close();
  for (const id of helpers) await runtime.containers.remove(id);
  await removeSidecar(runtime, sidecarName);
  await runtime.volumes.remove(volumeName);
  runtime.close();
});

describe('the sync side-car', () => {
  it('is built once from scratch, has no shell, and is reused while it runs', async () => {
    const image = await ensureAgentImage(runtime, { labels });
    expect(image.built).toBe(false);
    expect(image.tag).toMatch(/^berth-sync-agent:[0-9a-f]{12}$/);
    const again = await ensureSidecar(runtime, {
      name: sidecarName,
      volume: { name: volumeName, target: placement.containerRoot, labels },
      placement,
      labels,
    });
    expect(again).toMatchObject({ id: sidecarId, created: false });
    const noShell = `const fs = require('fs'); process.exit(['/bin/sh', '/usr/bin/sh', '/bin/busybox', '/bin/bash'].some((p) => fs.existsSync(p)) ? 1 : 0)`;
    expect(await nodeInSidecar(noShell)).toBe(0);
    // the root is read-only and the side-car has no network
    expect(
      await nodeInSidecar(
        `try { require('fs').writeFileSync('/x', ''); process.exit(1) } catch { process.exit(0) }`,
      ),
    ).toBe(0);
    const info = await runtime.containers.inspect(sidecarId);
    expect(info?.labels['berth.role']).toBe('sync');
    // the readiness check a hub's unit waits on: the idle process said it runs
    expect(
      await sidecarReady().attempt(containerProbes(runtime, sidecarId), new AbortController().signal),
    ).toBeUndefined();
  });
});

describe('RemoteReplica over the agent', () => {
  it('says who it is, the same way each time', async () => {
    const first = await replica.identity();
    expect(first.marker).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(first.root).toMatch(/^\d+:\d+$/);
    expect(await replica.identity()).toEqual(first);
  });

  it('scans an empty volume as its root alone', async () => {
    const scan = await replica.scan({ ignore: [] });
    expect(scan.root).toBe('dir');
    expect([...scan.entries.keys()]).toEqual(['']);
    expect(scan.problems).toEqual([]);
  });

  it('stages and applies 2,000 small files, then scans them with their digests', async () => {
    const files = Array.from({ length: 2000 }, (_, i) => ({
      path: `d${i % 20}/f ${i}.txt`,
      data: Buffer.from(`small file ${i}\n`),
    }));
    async function* chunks(): AsyncIterable<ContentChunk> {
      for (const f of files) yield { digest: sha(f.data), data: f.data, last: true };
    }
    const staged = await replica.stage(chunks());
    expect(staged.failed).toEqual([]);
    expect(new Set(staged.staged).size).toBe(2000);
    const ops: SyncOp[] = [
      ...Array.from({ length: 20 }, (_, d): SyncOp => ({
        op: 'mkdir',
        path: `d${d}`,
        expect: null,
        mode: 0o755,
      })),
      ...files.map((f): SyncOp => ({
        op: 'put',
        path: f.path,
        expect: null,
        entry: { kind: 'file', mode: 0o644, size: f.data.length, digest: sha(f.data) },
      })),
    ];
    const results = await replica.apply(ops);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const scan = await replica.scan({ ignore: [] });
    expect(scan.entries.size).toBe(1 + 20 + 2000);
    for (const f of files)
      expect(scan.entries.get(f.path)).toEqual({
        kind: 'file',
        mode: 0o644,
        size: f.data.length,
        digest: sha(f.data),
      });
  }, 180_000);

  it('streams a 200 MB file in and back out without holding it, digests equal', async () => {
    const digest = bigDigest();
    const before = process.memoryUsage();
    let peak = 0;
    const sample = () => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers);
    };
    async function* chunks(): AsyncIterable<ContentChunk> {
      for (let i = 0; i < BIG_CHUNKS; i++) {
        sample();
        yield { digest, data: bigPiece(i), last: i === BIG_CHUNKS - 1 };
      }
    }
    const staged = await replica.stage(chunks());
    expect(staged).toEqual({ staged: [digest], failed: [] });
    const size = BIG_CHUNKS * MiB;
    const [result] = await replica.apply([
      { op: 'put', path: 'big.bin', expect: null, entry: { kind: 'file', mode: 0o600, size, digest } },
    ]);
    expect(result).toEqual({ ok: true, entry: { kind: 'file', mode: 0o600, size, digest } });
    // the agent's side-car has 256 MiB in all: a 200 MB file held whole would not fit beside node
    const hash = createHash('sha256');
    let received = 0;
    let largest = 0;
    for await (const chunk of replica.read([{ path: 'big.bin', digest, size }])) {
      expect(chunk.failed).toBeUndefined();
      hash.update(chunk.data);
      received += chunk.data.length;
      largest = Math.max(largest, chunk.data.length);
      sample();
    }
    expect(received).toBe(size);
    expect(hash.digest('hex')).toBe(digest);
    expect(largest).toBeLessThanOrEqual(MiB);
    expect(peak).toBeLessThan(96 * MiB);
    const oom = await runtime.containers.inspect(sidecarId);
    expect(oom?.oomKilled ?? false).toBe(false);
  }, 300_000);

  it('hints at changes a second container makes on the same volume', async () => {
    const hints: string[] = [];
    const stop = await replica.watch((hint) => hints.push(...('paths' in hint ? hint.paths : ['*'])));
    const spec = hardenedSpec({
      name: `berth-test-sync-${tag}-writer`,
      image: 'berth-test/busybox',
      labels,
      limits: { cpus: 1, memoryBytes: 64 * MiB, pids: 32 },
      user: '0:0',
      volumes: [{ name: volumeName, target: '/workspace', labels }],
      cmd: [
        '/bin/sh',
        '-c',
        'echo hi > /workspace/touched.txt && mkdir -p /workspace/d3/new && echo x > /workspace/d3/new/y',
      ],
    });
    const writer = await runtime.containers.create(spec);
    helpers.push(writer);
    await runtime.containers.start(writer);
    await expect.poll(() => hints.includes('touched.txt'), { timeout: 20_000, interval: 100 }).toBe(true);
    await expect
      .poll(() => hints.some((p) => p.startsWith('d3/new')), { timeout: 20_000, interval: 100 })
      .toBe(true);
    stop();
    const scan = await replica.scan({ ignore: [] });
    expect(scan.entries.get('touched.txt')).toMatchObject({ kind: 'file', digest: sha('hi\n') });
  }, 60_000);

  it('rejects every pending call when the agent is killed mid-stream, and a reconnect works', async () => {
    let closedWith: BerthError | undefined;
    const doomed = await connect((err) => (closedWith = err));
    const marker = (await doomed.identity()).marker;
    const digest = bigDigest();
    const reading = (async () => {
      let n = 0;
      for await (const chunk of doomed.read([{ path: 'big.bin', digest, size: BIG_CHUNKS * MiB }])) {
        n += chunk.data.length;
        // a slow consumer: the agent is mid-stream when it dies
        await new Promise((r) => setTimeout(r, 20));
      }
      return n;
    })().then(
      // handled at once: the read fails while the kill is still being run
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 500));
    // the newest agent is this connection's (the suite's own connection is older)
    const kill = `const fs = require('fs');
      const agents = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((pid) => {
        try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('\\0serve\\0'); } catch { return false; }
      }).map(Number);
      process.kill(Math.max(...agents), 'SIGKILL');`;
    const pending = doomed.identity().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(await nodeInSidecar(kill)).toBe(0);
    const err = await reading;
    expect(isBerthError(err, 'SYNC_AGENT_GONE'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/stream closed/);
    const pendingErr = await pending;
    // the identity call may have been answered before the kill; if not it failed the same way
    if (pendingErr !== undefined) expect(isBerthError(pendingErr, 'SYNC_AGENT_GONE')).toBe(true);
    await expect.poll(() => closedWith?.code, { timeout: 10_000 }).toBe('SYNC_AGENT_GONE');
    await expect(doomed.identity()).rejects.toMatchObject({ code: 'SYNC_AGENT_GONE' });
    const again = await connect();
    expect((await again.identity()).marker).toBe(marker);
    await again.close();
  }, 120_000);
});

describe('the side-car once it is stopped', () => {
  it('stops at once on TERM (its idle process does not wait for the kill) and is started again on ensure', async () => {
    const started = Date.now();
    await runtime.containers.stop(sidecarId, 20);
    // the engine's grace before a KILL is 20 s: a side-car that ignored TERM would take that long
    expect(Date.now() - started).toBeLessThan(10_000);
    const again = await ensureSidecar(runtime, {
      name: sidecarName,
      volume: { name: volumeName, target: placement.containerRoot, labels },
      placement,
      labels,
    });
    expect(again).toMatchObject({ id: sidecarId, created: false });
    expect((await runtime.containers.inspect(sidecarId))?.state).toBe('running');
    replica = await connect();
    expect((await replica.scan({ ignore: [] })).entries.has('big.bin')).toBe(true);
  }, 60_000);
});
