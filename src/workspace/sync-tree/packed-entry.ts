import { DIGEST_PATTERN } from './digest-cache.js';
import type { SyncEntry, SyncPath } from './entry.js';
import { flat } from './flat-string.js';

/**
 * An entry as one short string, one char per byte (latin1), instead of an object holding a
 * 64-char hex digest: what a tree that lives between cycles (the ancestor, a side's last scan)
 * keeps per path. A file is `f`, two chars of mode, the digest's 32 bytes, then its size in
 * decimal (about 40 chars); a dir is `d` and two chars of mode; a link is `l` and its target.
 * Two packed entries are the same string exactly when every field is the same, so "did this
 * path change" is one string comparison.
 */
export type PackedEntry = string;

export function packEntry(entry: SyncEntry): PackedEntry {
  switch (entry.kind) {
    case 'file':
      if (!DIGEST_PATTERN.test(entry.digest) || !Number.isSafeInteger(entry.size) || entry.size < 0)
        throw new Error(`cannot pack a file entry with digest ${entry.digest.slice(0, 80)}`);
      return flat(
        `f${modeChars(entry.mode)}${Buffer.from(entry.digest, 'hex').toString('latin1')}${entry.size}`,
      );
    case 'dir':
      return `d${modeChars(entry.mode)}`;
    case 'link':
      return flat(`l${entry.target}`);
  }
}

export function unpackEntry(packed: PackedEntry): SyncEntry {
  switch (packed.charCodeAt(0)) {
    case 0x66: // f
      return {
        kind: 'file',
        mode: modeOf(packed),
        size: Number(packed.slice(35)),
        digest: Buffer.from(packed.slice(3, 35), 'latin1').toString('hex'),
      };
    case 0x64: // d
      return { kind: 'dir', mode: modeOf(packed) };
    case 0x6c: // l
      return { kind: 'link', target: packed.slice(1) };
    default:
      throw new Error(`not a packed entry: ${JSON.stringify(packed.slice(0, 8))}`);
  }
}

function modeChars(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0xffff) throw new Error(`cannot pack mode ${mode}`);
  return String.fromCharCode(mode >> 8, mode & 0xff);
}

function modeOf(packed: PackedEntry): number {
  return (packed.charCodeAt(1) << 8) | packed.charCodeAt(2);
}

/**
 * A tree held packed: a Map from path to packed entry, read as a map of entries (each `get`
 * unpacks a fresh object; nothing a reader does to it changes the tree).
 */
export class PackedTree implements ReadonlyMap<SyncPath, SyncEntry> {
  private readonly map = new Map<SyncPath, PackedEntry>();

  static of(entries: Iterable<readonly [SyncPath, SyncEntry]>): PackedTree {
    const tree = new PackedTree();
    for (const [path, entry] of entries) tree.set(path, entry);
    return tree;
  }

  get size(): number {
    return this.map.size;
  }

  get(path: SyncPath): SyncEntry | undefined {
    const packed = this.map.get(path);
    return packed === undefined ? undefined : unpackEntry(packed);
  }

  /** The packed form at `path` (compare two with ===). */
  packed(path: SyncPath): PackedEntry | undefined {
    return this.map.get(path);
  }

  has(path: SyncPath): boolean {
    return this.map.has(path);
  }

  set(path: SyncPath, entry: SyncEntry): this {
    this.map.set(path, packEntry(entry));
    return this;
  }

  setPacked(path: SyncPath, packed: PackedEntry): this {
    this.map.set(path, packed);
    return this;
  }

  delete(path: SyncPath): boolean {
    return this.map.delete(path);
  }

  clear(): void {
    this.map.clear();
  }

  keys(): MapIterator<SyncPath> {
    return this.map.keys();
  }

  *values(): MapIterator<SyncEntry> {
    for (const packed of this.map.values()) yield unpackEntry(packed);
  }

  *entries(): MapIterator<[SyncPath, SyncEntry]> {
    for (const [path, packed] of this.map) yield [path, unpackEntry(packed)];
  }

  [Symbol.iterator](): MapIterator<[SyncPath, SyncEntry]> {
    return this.entries();
  }

  forEach(fn: (entry: SyncEntry, path: SyncPath, map: ReadonlyMap<SyncPath, SyncEntry>) => void): void {
    for (const [path, packed] of this.map) fn(unpackEntry(packed), path, this);
  }
}
