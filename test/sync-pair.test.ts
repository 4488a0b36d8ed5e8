import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scopeTest } from '../src/sync/sync-pair.js';
import { openLocalPair, type LocalPair } from './helpers/sync-local-pair.js';
import { dumpTree, sortedEntries } from './helpers/tree-dump.js';

let open: LocalPair[] = [];
afterEach(async () => {
  for (const p of open) await p.close();
  open = [];
});
function pair(options: Parameters<typeof openLocalPair>[0] = {}): LocalPair {
  const p = openLocalPair(options);
  open.push(p);
  return p;
}
const same = (p: LocalPair) =>
  expect(sortedEntries(dumpTree(p.containerRoot))).toEqual(sortedEntries(dumpTree(p.localRoot)));

describe('a sync pair (the controller with both sides on this machine)', () => {
  it('carries creates, edits, modes, links, empty folders and odd names both ways', async () => {
    const p = pair();
    const L = p.localRoot;
    mkdirSync(join(L, 'src/deep'), { recursive: true });
    mkdirSync(join(L, 'empty'));
    writeFileSync(join(L, 'src/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(L, 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(L, 'run.sh'), 0o755);
    writeFileSync(join(L, 'name with spaces.txt'), 'spaces');
    writeFileSync(join(L, 'new\nline'), 'newline');
    writeFileSync(Buffer.concat([Buffer.from(`${L}/`), Buffer.from([0x6e, 0xff, 0x6f])]), 'not utf-8');
    symlinkSync('src/a.ts', join(L, 'link-to-a'));
    const first = await p.pair.barrier();
    expect(first.firstSync).toBe(true);
    expect(first.toContainer).toBeGreaterThanOrEqual(9);
    same(p);
    // now the other way: edit, delete, rename, chmod in the "container"
    const C = p.containerRoot;
    writeFileSync(join(C, 'src/a.ts'), 'export const a = 2;\n');
    rmSync(join(C, 'name with spaces.txt'));
    writeFileSync(join(C, 'src/deep/b.ts'), 'b');
    chmodSync(join(C, 'run.sh'), 0o700);
    const second = await p.pair.barrier();
    expect(second.toLocal).toBeGreaterThanOrEqual(4);
    expect(second.conflicts).toEqual([]);
    same(p);
    expect(readFileSync(join(L, 'src/a.ts'), 'utf8')).toBe('export const a = 2;\n');
    expect(existsSync(join(L, 'name with spaces.txt'))).toBe(false);
    // a cycle with nothing new moves nothing
    const idle = await p.pair.cycle();
    expect(idle.toLocal + idle.toContainer).toBe(0);
  });

  it('a conflict keeps both versions: the container one in place, the host one beside it; resolve brings either back', async () => {
    const p = pair({ now: () => new Date('2026-12-01T10:00:00Z') });
    writeFileSync(join(p.localRoot, 'notes.md'), 'base\n');
    await p.pair.barrier();
    writeFileSync(join(p.localRoot, 'notes.md'), 'host edit\n');
    writeFileSync(join(p.containerRoot, 'notes.md'), 'agent edit\n');
    const report = await p.pair.barrier();
    expect(report.conflicts.map((c) => [c.path, c.copy])).toEqual([
      ['notes.md', 'notes.md.berth-conflict-local-20261201T100000Z'],
    ]);
    same(p);
    for (const root of [p.localRoot, p.containerRoot]) {
      expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('agent edit\n');
      expect(readFileSync(join(root, 'notes.md.berth-conflict-local-20261201T100000Z'), 'utf8')).toBe(
        'host edit\n',
      );
    }
    const open = p.store.sync().conflicts('testhub', 'p');
    expect(open).toHaveLength(1);
  });

  it('delete against modify keeps the modification', async () => {
    const p = pair();
    writeFileSync(join(p.localRoot, 'keep.txt'), 'v1');
    // (with the root emptied, the pair would halt instead: see below)
    writeFileSync(join(p.localRoot, 'stays.txt'), 'stays');
    mkdirSync(join(p.localRoot, 'dir'));
    writeFileSync(join(p.localRoot, 'dir/inner.txt'), 'v1');
    await p.pair.barrier();
    rmSync(join(p.localRoot, 'keep.txt'));
    rmSync(join(p.localRoot, 'dir'), { recursive: true });
    writeFileSync(join(p.containerRoot, 'keep.txt'), 'v2 by the agent');
    writeFileSync(join(p.containerRoot, 'dir/new.txt'), 'new inside a folder the host deleted');
    await p.pair.barrier();
    same(p);
    expect(readFileSync(join(p.localRoot, 'keep.txt'), 'utf8')).toBe('v2 by the agent');
    expect(readFileSync(join(p.localRoot, 'dir/new.txt'), 'utf8')).toBe(
      'new inside a folder the host deleted',
    );
  });

  it('rm -rf of everything on one side halts and deletes nothing on the other', async () => {
    const p = pair();
    for (let i = 0; i < 5; i++) writeFileSync(join(p.localRoot, `f${i}`), `${i}`);
    await p.pair.barrier();
    for (const name of readdirSync(p.containerRoot))
      if (name !== '.berth-sync') rmSync(join(p.containerRoot, name), { recursive: true });
    const report = await p.pair.barrier();
    expect(report.halt?.reason).toBe('root-emptied');
    expect(readdirSync(p.localRoot).filter((n) => n.startsWith('f'))).toHaveLength(5);
    const row = p.store.sync().pair('testhub', 'p');
    expect(row?.halt).toContain('root-emptied');
  });

  it('a changed ignore rule deletes nothing, and un-ignoring brings no conflict for equal files', async () => {
    const p = pair();
    mkdirSync(join(p.localRoot, 'build'));
    writeFileSync(join(p.localRoot, 'build/out.js'), 'built');
    writeFileSync(join(p.localRoot, 'src.js'), 'src');
    await p.pair.barrier();
    expect(existsSync(join(p.containerRoot, 'build/out.js'))).toBe(true);
    const ignoring = p.reopen({ ignore: ['.git', 'build/'] });
    const r = await ignoring.barrier();
    expect(r.toLocal + r.toContainer).toBe(0);
    expect(existsSync(join(p.localRoot, 'build/out.js'))).toBe(true);
    expect(existsSync(join(p.containerRoot, 'build/out.js'))).toBe(true);
    const back = await p.reopen({ ignore: ['.git'] }).barrier();
    expect(back.conflicts).toEqual([]);
    expect(back.toLocal + back.toContainer).toBe(0);
  });

  it('a recreated container side is a first sync: nothing on the host is deleted', async () => {
    const p = pair();
    writeFileSync(join(p.localRoot, 'a.txt'), 'a');
    writeFileSync(join(p.localRoot, 'b.txt'), 'b');
    await p.pair.barrier();
    // a new, empty volume under the same name: its marker is new
    rmSync(p.containerRoot, { recursive: true });
    mkdirSync(p.containerRoot);
    const { LocalReplica } = await import('../src/workspace/sync-tree/local-replica.js');
    const fresh = new LocalReplica({ root: p.containerRoot, side: 'container' });
    const report = await p.reopen({ container: fresh }).barrier();
    expect(report.firstSync).toBe(true);
    expect(report.firstSyncReason).toContain('recreated');
    expect(readFileSync(join(p.localRoot, 'a.txt'), 'utf8')).toBe('a');
    expect(readFileSync(join(p.containerRoot, 'b.txt'), 'utf8')).toBe('b');
    await fresh.close();
  });

  it('a scoped cycle (a watcher hint) carries what it names, and only that', async () => {
    const p = pair();
    mkdirSync(join(p.localRoot, 'a/deep'), { recursive: true });
    mkdirSync(join(p.localRoot, 'b'));
    writeFileSync(join(p.localRoot, 'a/deep/x'), 'x1');
    writeFileSync(join(p.localRoot, 'b/y'), 'y1');
    writeFileSync(join(p.localRoot, 'top'), 't');
    await p.pair.barrier();
    writeFileSync(join(p.localRoot, 'a/deep/x'), 'x2');
    writeFileSync(join(p.containerRoot, 'b/y'), 'y2 (no hint for it yet)');
    const scoped = await p.pair.cycle({ paths: ['a/deep/x'] });
    expect(scoped.moved.map((m) => [m.side, m.path])).toEqual([['container', 'a/deep/x']]);
    expect(readFileSync(join(p.containerRoot, 'a/deep/x'), 'utf8')).toBe('x2');
    expect(readFileSync(join(p.localRoot, 'b/y'), 'utf8')).toBe('y1');
    // a deletion the hint names is carried; a folder the hint names comes whole
    rmSync(join(p.localRoot, 'a/deep/x'));
    mkdirSync(join(p.containerRoot, 'c/d'), { recursive: true });
    writeFileSync(join(p.containerRoot, 'c/d/z'), 'z');
    const second = await p.pair.cycle({ paths: ['a/deep/x', 'c'] });
    expect(second.moved.map((m) => [m.side, m.path]).sort()).toEqual([
      ['container', 'a/deep/x'],
      ['local', 'c'],
      ['local', 'c/d'],
      ['local', 'c/d/z'],
    ]);
    expect(existsSync(join(p.containerRoot, 'a/deep/x'))).toBe(false);
    // what no hint named waits for a full cycle
    await p.pair.barrier();
    same(p);
    expect(readFileSync(join(p.localRoot, 'b/y'), 'utf8')).toBe('y2 (no hint for it yet)');
  });

  it('a corrupt ancestor row stops the cycle with STORE_CORRUPT and says how to start again, changing nothing', async () => {
    const p = pair();
    writeFileSync(join(p.localRoot, 'a.txt'), 'a');
    await p.pair.barrier();
    p.store.sync().writeAncestor('testhub', 'p', [['a.txt', '{"kind":"file","mode":"rw"}']]);
    writeFileSync(join(p.localRoot, 'b.txt'), 'b');
    const fresh = p.reopen();
    await expect(fresh.cycle()).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
      message: expect.stringContaining("delete this project's rows from the sync_ancestor table"),
    });
    expect(existsSync(join(p.containerRoot, 'b.txt'))).toBe(false);
  });
});

describe('a one-sided change of many files', () => {
  /** 2,600 files in 26 folders, a few contents shared across the whole tree. */
  function writeMany(root: string, version: string): void {
    for (let d = 0; d < 26; d++) {
      mkdirSync(join(root, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) {
        // every 10th file has one of 3 contents shared across the tree; the rest are unique
        const text = f % 10 === 0 ? `shared ${f % 3} ${version}\n` : `file ${d}/${f} ${version}\n`;
        writeFileSync(join(root, `d${d}`, `f${f}.txt`), text);
      }
    }
  }

  it('carries every file in one cycle both ways, contents many files share included, with nothing to retry', async () => {
    const p = pair();
    writeMany(p.localRoot, 'v1');
    const first = await p.pair.cycle();
    expect(first.retry).toEqual([]);
    expect(first.toContainer).toBe(26 + 2600);
    same(p);
    // the other way: the container side rewrites every file (a checkout there)
    writeMany(p.containerRoot, 'v2');
    const second = await p.pair.cycle();
    expect(second.retry).toEqual([]);
    expect([second.toLocal, second.toContainer, second.conflicts.length]).toEqual([2600, 0, 0]);
    same(p);
    expect(readFileSync(join(p.localRoot, 'd25/f90.txt'), 'utf8')).toBe('shared 0 v2\n');
    const idle = await p.pair.cycle();
    expect(idle.toLocal + idle.toContainer).toBe(0);
  });
});

describe('the scope of a hinted cycle', () => {
  /** The definition, one scope path at a time. */
  const naive = (path: string, scope: readonly string[]) =>
    path === '' ||
    !path.includes('/') ||
    scope.some((root) => path === root || path.startsWith(`${root}/`) || root.startsWith(`${path}/`));

  it('holds the root, its own entries, the folders on the way and everything at or under a scoped path', () => {
    const paths = [
      '',
      'a',
      'a/b',
      'a/b/c',
      'a/b/c/d',
      'a/bc',
      'a/bc/d',
      'ab/c',
      'x/y',
      'x/y/z',
      'x/yz',
      'q/r/s',
    ];
    for (const scope of [[], ['a/b'], ['a/b/c', 'x/y'], ['x'], ['q/r/s', 'a/bc/d'], ['ab']]) {
      const test = scopeTest(scope);
      for (const path of paths) expect([path, scope, test(path)]).toEqual([path, scope, naive(path, scope)]);
    }
  });
});
