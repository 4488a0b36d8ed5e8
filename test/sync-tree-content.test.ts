import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalReplica } from '../src/workspace/sync-tree/local-replica.js';
import type { ContentChunk } from '../src/workspace/sync-tree/replica.js';

const dirs: string[] = [];
const replicas: LocalReplica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function pair(): { a: LocalReplica; b: LocalReplica; rootA: string; rootB: string } {
  const rootA = mkdtempSync(join(tmpdir(), 'berth-synctree-a-'));
  const rootB = mkdtempSync(join(tmpdir(), 'berth-synctree-b-'));
  dirs.push(rootA, rootB);
  const a = new LocalReplica({ root: rootA, side: 'local' });
  const b = new LocalReplica({ root: rootB, side: 'container' });
  replicas.push(a, b);
  return { a, b, rootA, rootB };
}
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
async function* chunks(list: ContentChunk[]): AsyncGenerator<ContentChunk> {
  yield* list;
}
async function collect(it: AsyncIterable<ContentChunk>): Promise<ContentChunk[]> {
  const out: ContentChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe('LocalReplica read and stage', () => {
  it('moves files (a 3 MiB one in pieces, an empty one, a non-UTF-8 name) into the stage, verified', async () => {
    const { a, b, rootA, rootB } = pair();
    const big = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    writeFileSync(join(rootA, 'big'), big);
    writeFileSync(join(rootA, 'empty'), '');
    writeFileSync(Buffer.from(`${rootA}/n\xe9e\n`, 'latin1'), 'odd');
    const requests = [
      { path: 'big', digest: sha(big), size: big.length },
      { path: 'empty', digest: sha(''), size: 0 },
      { path: 'n\xe9e\n', digest: sha('odd'), size: 3 },
    ];
    const pieces = await collect(a.read(requests));
    expect(pieces.filter((c) => c.digest === sha(big)).map((c) => c.data.length)).toEqual([
      1024 * 1024,
      1024 * 1024,
      1024 * 1024,
      5,
    ]);
    expect(pieces.every((c) => c.failed === undefined)).toBe(true);
    const result = await b.stage(chunks(pieces));
    expect(result.failed).toEqual([]);
    expect(result.staged.sort()).toEqual(requests.map((r) => r.digest).sort());
    const stagedBig = readdirSync(join(rootB, '.berth-sync/stage')).filter((n) =>
      n.startsWith(`${sha(big)}.`),
    );
    expect(stagedBig).toHaveLength(1);
    expect(readFileSync(join(rootB, '.berth-sync/stage', stagedBig[0]!)).equals(big)).toBe(true);
    expect(readFileSync(join(rootB, '.berth-sync/.gitignore'), 'utf8')).toBe('*\n');
  });

  it('marks a file that changed, vanished, or is not what was asked as failed; the stage keeps none of them', async () => {
    const { a, b, rootA, rootB } = pair();
    writeFileSync(join(rootA, 'changed'), 'new bytes');
    writeFileSync(join(rootA, 'resized'), 'longer than asked');
    const pieces = await collect(
      a.read([
        { path: 'changed', digest: sha('old bytes'), size: 9 },
        { path: 'resized', digest: sha('short'), size: 5 },
        { path: 'gone', digest: sha('x'), size: 1 },
        { path: '../escape', digest: sha('x'), size: 1 },
      ]),
    );
    const lasts = pieces.filter((c) => c.last);
    expect(lasts).toHaveLength(4);
    expect(lasts.map((c) => c.failed)).toEqual([
      expect.stringMatching(/hash/),
      expect.stringMatching(/bytes now/),
      expect.stringMatching(/vanished/),
      expect.stringMatching(/\.\./),
    ]);
    const result = await b.stage(chunks(pieces));
    expect(result.staged).toEqual([]);
    expect(result.failed).toHaveLength(4);
    expect(readdirSync(join(rootB, '.berth-sync/stage'))).toEqual([]);
  });

  it('refuses bytes that do not hash to their digest, and removes the temp file', async () => {
    const { b, rootB } = pair();
    const result = await b.stage(
      chunks([
        { digest: sha('good'), data: Buffer.from('go'), last: false },
        { digest: sha('good'), data: Buffer.from('od'), last: true },
        { digest: sha('claimed'), data: Buffer.from('forged'), last: true },
        { digest: '../../etc/passwd', data: Buffer.from('x'), last: true },
      ]),
    );
    expect(result.staged).toEqual([sha('good')]);
    expect(result.failed.map((f) => f.reason)).toEqual([
      expect.stringMatching(/hash to/),
      expect.stringMatching(/not a SHA-256/),
    ]);
    const left = readdirSync(join(rootB, '.berth-sync/stage'));
    expect(left).toEqual([expect.stringMatching(new RegExp(`^${sha('good')}\\.`))]);
    expect(readFileSync(join(rootB, '.berth-sync/stage', left[0]!), 'utf8')).toBe('good');
    await b.clearStage();
    expect(readdirSync(join(rootB, '.berth-sync/stage'))).toEqual([]);
  });

  it('sends a file that is rewritten while it is being read as failed', async () => {
    const { a, rootA } = pair();
    const v1 = Buffer.alloc(3 * 1024 * 1024, 1);
    writeFileSync(join(rootA, 'f'), v1);
    const out: ContentChunk[] = [];
    for await (const c of a.read([{ path: 'f', digest: sha(v1), size: v1.length }])) {
      // after the first piece the file is rewritten in place with other bytes of the same size
      if (out.length === 0) writeFileSync(join(rootA, 'f'), Buffer.alloc(v1.length, 2));
      out.push(c);
    }
    expect(out.at(-1)?.last).toBe(true);
    expect(out.at(-1)?.failed).toMatch(/changed|hash/);
  });

  it('writes a fresh random marker once and reads the same one back', async () => {
    const { a, rootA } = pair();
    const first = await a.identity();
    expect(first.marker).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.root).toMatch(/^\d+:\d+$/);
    const again = new LocalReplica({ root: rootA, side: 'local' });
    replicas.push(again);
    expect(await again.identity()).toEqual(first);
    expect(existsSync(join(rootA, '.berth-sync/replica-id'))).toBe(true);
  });
});
