import { describe, expect, it } from 'vitest';
import type { SyncEntry } from '../src/workspace/sync-tree/entry.js';
import { packEntry, PackedTree, unpackEntry } from '../src/workspace/sync-tree/packed-entry.js';

const digest = 'ab'.repeat(32);
const entries: SyncEntry[] = [
  { kind: 'file', mode: 0o644, size: 0, digest },
  { kind: 'file', mode: 0o777, size: Number.MAX_SAFE_INTEGER, digest: '0'.repeat(64) },
  { kind: 'file', mode: 0, size: 1234, digest: 'f'.repeat(64) },
  { kind: 'dir', mode: 0o755 },
  { kind: 'dir', mode: 0 },
  { kind: 'link', target: '' },
  { kind: 'link', target: '../a/\xff\x80b' },
];

describe('packed entries', () => {
  it('unpack to exactly what was packed', () => {
    for (const entry of entries) expect(unpackEntry(packEntry(entry))).toEqual(entry);
  });

  it('are the same string exactly when every field is the same', () => {
    const packed = entries.map(packEntry);
    expect(new Set(packed).size).toBe(entries.length);
    expect(packEntry({ kind: 'file', mode: 0o644, size: 0, digest })).toBe(packed[0]);
    expect(packEntry({ kind: 'file', mode: 0o644, size: 1, digest })).not.toBe(packed[0]);
  });

  it('refuse what they cannot hold', () => {
    expect(() => packEntry({ kind: 'file', mode: 0o644, size: 1, digest: 'xyz' })).toThrow();
    expect(() => packEntry({ kind: 'file', mode: 0o644, size: -1, digest })).toThrow();
    expect(() => unpackEntry('q')).toThrow();
  });

  it('a packed tree reads as the map it was made of', () => {
    const map = new Map(entries.map((e, i) => [i === 0 ? '' : `p${i}`, e] as const));
    const tree = PackedTree.of(map);
    expect(tree.size).toBe(map.size);
    expect(new Map(tree)).toEqual(map);
    expect([...tree.keys()]).toEqual([...map.keys()]);
    expect(tree.get('p3')).toEqual(map.get('p3'));
    expect(tree.get('none')).toBeUndefined();
    tree.delete('p3');
    expect(tree.has('p3')).toBe(false);
  });
});
