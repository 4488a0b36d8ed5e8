import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DigestCache, hashStats } from '../src/workspace/sync-tree/digest-cache.js';
import type { FileEntry, SyncOp } from '../src/workspace/sync-tree/entry.js';
import { LocalReplica } from '../src/workspace/sync-tree/local-replica.js';
import type { ContentChunk } from '../src/workspace/sync-tree/replica.js';

const dirs: string[] = [];
const replicas: LocalReplica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function setup(atticMaxBytes?: number): { r: LocalReplica; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'berth-synctree-apply-'));
  dirs.push(root);
  const r = new LocalReplica({ root, side: 'container', ...(atticMaxBytes ? { atticMaxBytes } : {}) });
  replicas.push(r);
  return { r, root };
}
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const fileEntry = (content: string, mode = 0o644): FileEntry => ({
  kind: 'file',
  mode,
  size: Buffer.byteLength(content),
  digest: sha(content),
});
async function stage(r: LocalReplica, ...contents: string[]): Promise<void> {
  async function* gen(): AsyncGenerator<ContentChunk> {
    for (const c of contents) yield { digest: sha(c), data: Buffer.from(c), last: true };
  }
  const result = await r.stage(gen());
  expect(result.failed).toEqual([]);
}
function write(root: string, path: string, content: string, mode = 0o644): void {
  writeFileSync(join(root, path), content);
  chmodSync(join(root, path), mode);
}
/** Every regular file under the root (the attic and conflict copies included), by content. */
function allContents(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return allContents(p);
    return e.isFile() ? [readFileSync(p, 'utf8')] : [];
  });
}

describe('LocalReplica.apply', () => {
  it('puts new files (one staged content used twice), makes folders and links, with modes', async () => {
    const { r, root } = setup();
    await stage(r, 'hello');
    const results = await r.apply([
      { op: 'mkdir', path: 'd', expect: null, mode: 0o750 },
      { op: 'put', path: 'd/a', expect: null, entry: fileEntry('hello', 0o755) },
      { op: 'put', path: 'b', expect: null, entry: fileEntry('hello', 0o600) },
      { op: 'symlink', path: 'l', expect: null, target: 'd/a' },
    ]);
    expect(results.map((x) => x.ok)).toEqual([true, true, true, true]);
    expect(results[1]).toEqual({ ok: true, entry: fileEntry('hello', 0o755) });
    expect(readFileSync(join(root, 'd/a'), 'utf8')).toBe('hello');
    expect(statSync(join(root, 'd/a')).mode & 0o777).toBe(0o755);
    expect(statSync(join(root, 'b')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'd')).mode & 0o777).toBe(0o750);
    expect(readlinkSync(join(root, 'l'))).toBe('d/a');
    expect(statSync(join(root, 'd/a')).ino).not.toBe(statSync(join(root, 'b')).ino);
    // the last put took the staged file itself; the stage holds nothing else
    expect(readdirSync(join(root, '.berth-sync/stage'))).toEqual([]);
    const scan = await r.scan({ ignore: [] });
    expect(scan.entries.get('d/a')).toEqual(fileEntry('hello', 0o755));
  });

  it('a placed file is not hashed again by the next scan unless it was written after it was staged', async () => {
    const { r, root } = setup();
    await stage(r, 'settled', 'late');
    await new Promise((resolve) => setTimeout(resolve, 80)); // the staged bytes are now clearly older
    const results = await r.apply([
      { op: 'put', path: 'a', expect: null, entry: fileEntry('settled') },
      { op: 'put', path: 'b', expect: null, entry: fileEntry('late') },
    ]);
    expect(results.map((x) => x.ok)).toEqual([true, true]);
    writeFileSync(join(root, 'b'), 'LATE'); // same size, written right after the placement
    const before = hashStats.files;
    const scan = await r.scan({ ignore: [] });
    expect(hashStats.files - before).toBe(1);
    expect(scan.entries.get('a')).toEqual(fileEntry('settled'));
    expect(scan.entries.get('b')).toEqual(fileEntry('LATE'));
  });

  it('a placed digest is trusted only when the bytes were written clearly before they were read back', () => {
    const cache = new DigestCache();
    const now = Date.now();
    const key = (mtimeMs: number) => ({
      dev: 1n,
      ino: 2n,
      size: 3n,
      mtimeNs: BigInt(mtimeMs) * 1_000_000n + 123n,
      ctimeNs: BigInt(now) * 1_000_000n + 456n,
    });
    cache.rememberPlaced('old', key(now - 1000), sha('1'), now);
    cache.rememberPlaced('recent', key(now - 5), sha('2'), now);
    expect(cache.lookup('old', key(now - 1000))).toBe(sha('1'));
    expect(cache.lookup('recent', key(now - 5))).toBeUndefined();
    // any other key (a later write, chmod or rename moved a field) is a miss
    expect(cache.lookup('old', { ...key(now - 1000), ctimeNs: key(now).ctimeNs + 1n })).toBeUndefined();
  });

  it('a staged file rewritten, replaced or planted after staging is not placed, and nothing is lost', async () => {
    const { r, root } = setup();
    write(root, 'kept', 'old');
    await stage(r, 'good1', 'good2');
    const stageDir = join(root, '.berth-sync/stage');
    const stagedName = (content: string) =>
      readdirSync(stageDir).find((n) => n.startsWith(`${sha(content)}.`))!;
    // rewritten in place (same size), replaced by another file, planted without being staged
    writeFileSync(join(stageDir, stagedName('good1')), 'evil1');
    writeFileSync(join(stageDir, 'x'), 'evil2');
    renameSync(join(stageDir, 'x'), join(stageDir, stagedName('good2')));
    writeFileSync(join(stageDir, sha('good3')), 'evil3');
    writeFileSync(join(stageDir, `${sha('good3')}.0000000000000000.tmp`), 'evil3');
    const results = await r.apply([
      { op: 'put', path: 'kept', expect: fileEntry('old'), entry: fileEntry('good1') },
      { op: 'put', path: 'new2', expect: null, entry: fileEntry('good2') },
      { op: 'put', path: 'new3', expect: null, entry: fileEntry('good3') },
    ]);
    expect(results.map((x) => (x.ok ? 'ok' : x.reason))).toEqual([
      'missing-content',
      'missing-content',
      'missing-content',
    ]);
    expect(readFileSync(join(root, 'kept'), 'utf8')).toBe('old');
    expect(readdirSync(root).sort()).toEqual(['.berth-sync', 'kept']);
    expect(r.listAttic()).toEqual([]);
    // staged again, the same content goes in
    await stage(r, 'good1');
    const [again] = await r.apply([
      { op: 'put', path: 'kept', expect: fileEntry('old'), entry: fileEntry('good1') },
    ]);
    expect(again!.ok).toBe(true);
    expect(readFileSync(join(root, 'kept'), 'utf8')).toBe('good1');
    expect(r.findAttic('kept').map((a) => a.digest)).toEqual([sha('old')]);
  });

  it('replaces a file that matches expect and keeps the replaced bytes in the attic', async () => {
    const { r, root } = setup();
    write(root, 'f', 'old');
    await stage(r, 'new');
    const [res] = await r.apply([
      { op: 'put', path: 'f', expect: fileEntry('old'), entry: fileEntry('new') },
    ]);
    expect(res).toEqual({ ok: true, entry: fileEntry('new') });
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('new');
    expect(readFileSync(join(root, r.atticPath(sha('old'))), 'utf8')).toBe('old');
    expect(r.findAttic('f')).toEqual([
      {
        digest: sha('old'),
        path: 'f',
        size: 3,
        time: expect.any(Number),
        why: 'put',
        file: r.atticPath(sha('old')),
      },
    ]);
    expect(readFileSync(join(root, '.berth-sync/attic/index.jsonl'), 'utf8')).toContain(sha('old'));
  });

  it('changes nothing and loses nothing when the side does not hold what an op expects', async () => {
    const { r, root } = setup();
    write(root, 'f', 'edited');
    write(root, 'g', 'same', 0o600);
    mkdirSync(join(root, 'full'));
    write(root, 'full/x', 'x');
    await stage(r, 'theirs');
    const ops: SyncOp[] = [
      { op: 'put', path: 'f', expect: fileEntry('original'), entry: fileEntry('theirs') },
      { op: 'put', path: 'g', expect: fileEntry('same', 0o644), entry: fileEntry('theirs') },
      { op: 'put', path: 'f', expect: null, entry: fileEntry('theirs') },
      { op: 'remove', path: 'f', expect: fileEntry('original') },
      {
        op: 'remove',
        path: 'full',
        expect: { kind: 'dir', mode: statSync(join(root, 'full')).mode & 0o777 },
      },
      { op: 'chmod', path: 'f', expect: fileEntry('original'), mode: 0o700 },
      { op: 'mkdir', path: 'f', expect: null, mode: 0o755 },
      { op: 'symlink', path: 'g', expect: { kind: 'link', target: 'x' }, target: 'y' },
      { op: 'move', path: 'f', expect: fileEntry('original'), to: 'moved' },
      { op: 'move', path: 'g', expect: fileEntry('same', 0o600), to: 'f' },
      { op: 'remove', path: 'absent', expect: fileEntry('x') },
    ];
    const results = await r.apply(ops);
    expect(results.map((x) => (x.ok ? 'ok' : x.reason))).toEqual(Array(ops.length).fill('changed'));
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('edited');
    expect(readFileSync(join(root, 'g'), 'utf8')).toBe('same');
    expect(statSync(join(root, 'f')).mode & 0o777).toBe(0o644);
    expect(readdirSync(root).sort()).toEqual(['.berth-sync', 'f', 'full', 'g']);
    expect(r.listAttic()).toEqual([]);
  });

  it('reports missing content, refuses escaping links and paths through links or into .berth-sync', async () => {
    const { r, root } = setup();
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'via'));
    await stage(r, 'c');
    const results = await r.apply([
      { op: 'put', path: 'x', expect: null, entry: fileEntry('never staged') },
      { op: 'symlink', path: 'l1', expect: null, target: '/etc' },
      { op: 'symlink', path: 'l2', expect: null, target: '../out' },
      { op: 'put', path: 'via/f', expect: null, entry: fileEntry('c') },
      { op: 'put', path: '.berth-sync/replica-id', expect: null, entry: fileEntry('c') },
      { op: 'put', path: 'a/../b', expect: null, entry: fileEntry('c') },
    ]);
    expect(results.map((x) => (x.ok ? 'ok' : x.reason))).toEqual([
      'missing-content',
      'error',
      'error',
      'error',
      'error',
      'error',
    ]);
    expect(readdirSync(join(root, 'real'))).toEqual([]);
    expect(readdirSync(root).sort()).toEqual(['.berth-sync', 'real', 'via']);
  });

  it('removes files and links into the attic, empty folders, chmods, and moves a folder whole', async () => {
    const { r, root } = setup();
    write(root, 'f', 'bytes');
    write(root, 'm', 'mode me');
    symlinkSync('f', join(root, 'l'));
    mkdirSync(join(root, 'empty'));
    chmodSync(join(root, 'empty'), 0o755);
    mkdirSync(join(root, 'tree/sub'), { recursive: true });
    chmodSync(join(root, 'tree'), 0o755);
    write(root, 'tree/sub/x', 'deep');
    const results = await r.apply([
      { op: 'remove', path: 'f', expect: fileEntry('bytes') },
      { op: 'remove', path: 'l', expect: { kind: 'link', target: 'f' } },
      { op: 'remove', path: 'empty', expect: { kind: 'dir', mode: 0o755 } },
      { op: 'chmod', path: 'm', expect: fileEntry('mode me'), mode: 0o700 },
      {
        op: 'move',
        path: 'tree',
        expect: { kind: 'dir', mode: 0o755 },
        to: 'tree.berth-conflict-container-1',
      },
      { op: 'mkdir', path: 'tree', expect: null, mode: 0o700 },
    ]);
    expect(results).toEqual([
      { ok: true, entry: null },
      { ok: true, entry: null },
      { ok: true, entry: null },
      { ok: true, entry: fileEntry('mode me', 0o700) },
      { ok: true, entry: null },
      { ok: true, entry: { kind: 'dir', mode: 0o700 } },
    ]);
    expect(readdirSync(root).sort()).toEqual(['.berth-sync', 'm', 'tree', 'tree.berth-conflict-container-1']);
    expect(statSync(join(root, 'm')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(root, 'tree.berth-conflict-container-1/sub/x'), 'utf8')).toBe('deep');
    expect(readFileSync(join(root, r.atticPath(sha('bytes'))), 'utf8')).toBe('bytes');
    expect(r.listAttic().map((a) => [a.path, a.why])).toEqual([['f', 'remove']]);
  });

  it('evicts the oldest attic versions beyond the cap, never the newest', async () => {
    const { r, root } = setup(25);
    const v = (i: number) => `version ${i}`.padEnd(12, '.');
    for (let i = 0; i < 5; i++) {
      const old = v(i);
      const next = v(i + 1);
      if (i === 0) write(root, 'f', old);
      await stage(r, next);
      const [res] = await r.apply([{ op: 'put', path: 'f', expect: fileEntry(old), entry: fileEntry(next) }]);
      expect(res?.ok).toBe(true);
    }
    const kept = r.listAttic();
    expect(kept.map((a) => a.digest)).toEqual([sha(v(4)), sha(v(3))]);
    expect(
      allContents(join(root, '.berth-sync/attic'))
        .filter((c) => c.startsWith('version'))
        .sort(),
    ).toEqual([v(3), v(4)]);
    // a fresh replica reads the same from the index
    const again = new LocalReplica({ root, side: 'container' });
    replicas.push(again);
    expect(again.listAttic().map((a) => a.digest)).toEqual(kept.map((a) => a.digest));
    const huge = 'x'.repeat(100);
    await stage(r, huge);
    await r.apply([{ op: 'put', path: 'f', expect: fileEntry(v(5)), entry: fileEntry(huge) }]);
    await stage(r, 'y');
    await r.apply([{ op: 'put', path: 'f', expect: fileEntry(huge), entry: fileEntry('y') }]);
    expect(r.listAttic().map((a) => a.digest)).toEqual([sha(huge)]);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'hands new files, folders and links to the owner (when running as root)',
    async () => {
      const root = mkdtempSync(join(tmpdir(), 'berth-synctree-owner-'));
      dirs.push(root);
      const r = new LocalReplica({ root, side: 'container', owner: { uid: 4321, gid: 4322 } });
      replicas.push(r);
      await stage(r, 'owned');
      const results = await r.apply([
        { op: 'mkdir', path: 'd', expect: null, mode: 0o755 },
        { op: 'put', path: 'd/f', expect: null, entry: fileEntry('owned') },
        { op: 'symlink', path: 'l', expect: null, target: 'd/f' },
      ]);
      expect(results.every((x) => x.ok)).toBe(true);
      for (const p of ['d', 'd/f', 'l']) {
        const st = lstatSync(join(root, p));
        expect([p, st.uid, st.gid]).toEqual([p, 4321, 4322]);
      }
    },
  );

  it('never follows a link swapped in for a parent folder: the write lands inside the root or fails', async () => {
    const { r, root } = setup();
    const outside = mkdtempSync(join(tmpdir(), 'berth-synctree-outside-'));
    dirs.push(outside);
    mkdirSync(join(root, 'a/b'), { recursive: true });
    await stage(r, 'payload');
    // a racer swaps `a` for a link to a folder outside, back and forth, while puts run
    let stop = false;
    const swapper = (async () => {
      while (!stop) {
        try {
          renameSync(join(root, 'a'), join(root, 'a.real'));
          symlinkSync(outside, join(root, 'a'));
          await new Promise((res) => setImmediate(res));
          rmSync(join(root, 'a'));
          renameSync(join(root, 'a.real'), join(root, 'a'));
        } catch {
          // a step may lose to the other; keep swapping
        }
        await new Promise((res) => setImmediate(res));
      }
    })();
    let placed = 0;
    for (let i = 0; i < 200; i++) {
      await stage(r, 'payload');
      const [res] = await r.apply([
        { op: 'put', path: `a/b/f${i}`, expect: null, entry: fileEntry('payload') },
      ]);
      if (res?.ok) placed++;
    }
    stop = true;
    await swapper;
    expect(readdirSync(outside)).toEqual([]);
    if (lstatSync(join(root, 'a')).isSymbolicLink()) rmSync(join(root, 'a'));
    const inside = readdirSync(
      join(root, lstatSync(join(root, 'a'), { throwIfNoEntry: false }) ? 'a/b' : 'a.real/b'),
    );
    expect(inside.length).toBe(placed);
  });
});
