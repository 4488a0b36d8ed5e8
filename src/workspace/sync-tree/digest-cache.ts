import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { hashFileBytes } from '../fd-hash.js';
import type { SyncPath } from './entry.js';
import { flat } from './flat-string.js';

/** What identifies one state of a file cheaply: if none of these changed, neither did the bytes. */
export interface FileKey {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export function keyOf(st: fs.BigIntStats): FileKey {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

export function sameKey(a: FileKey, b: FileKey): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/**
 * The file system stamps a change with a coarse clock (one scheduler tick, a few ms; some file
 * systems whole seconds). A write in the same tick as our read leaves every field of the key as
 * it was, so a digest is trusted only when the file's ctime is clearly older than the moment we
 * started reading it (git's "racy clean" rule); a racy one is hashed again on the next look.
 */
const FINE_MARGIN_NS = 30_000_000n;
const COARSE_MARGIN_NS = 2_000_000_000n;

function trusted(key: FileKey, readAtMs: number): boolean {
  const coarse = key.ctimeNs % 1_000_000_000n === 0n && key.mtimeNs % 1_000_000_000n === 0n;
  const margin = coarse ? COARSE_MARGIN_NS : FINE_MARGIN_NS;
  return key.ctimeNs + margin < BigInt(readAtMs) * 1_000_000n;
}

const KEY_CHARS = 40;
const packBuffer = Buffer.alloc(KEY_CHARS + 32);
const packView = new DataView(packBuffer.buffer, packBuffer.byteOffset, packBuffer.byteLength);

/** Writes the key's five 64-bit fields into the first 40 bytes of packBuffer. */
function writeKey(key: FileKey): void {
  packView.setBigUint64(0, BigInt.asUintN(64, key.dev), true);
  packView.setBigUint64(8, BigInt.asUintN(64, key.ino), true);
  packView.setBigUint64(16, BigInt.asUintN(64, key.size), true);
  packView.setBigUint64(24, BigInt.asUintN(64, key.mtimeNs), true);
  packView.setBigUint64(32, BigInt.asUintN(64, key.ctimeNs), true);
}

/** The key's five 64-bit fields as 40 chars (one per byte): compared whole, exactly. */
function packKey(key: FileKey): string {
  writeKey(key);
  return packBuffer.toString('latin1', 0, KEY_CHARS);
}

/** Whether a kept entry starts with the key (compared byte by byte, with no string made). */
function startsWithKey(kept: string, key: FileKey): boolean {
  writeKey(key);
  for (let i = 0; i < KEY_CHARS; i++) if (kept.charCodeAt(i) !== packBuffer[i]) return false;
  return true;
}

/**
 * Digests by path, each valid only for the exact file state it was computed from. One string
 * per path holds the packed key and the digest's 32 bytes (one char each): a cache of 100,000
 * files is a few MB, not one object, a key object and five BigInts per file. Only a trusted
 * digest is kept (one that is not racy); remembering a racy one forgets the path, which is what
 * keeping it would amount to, since a racy digest is never served.
 */
export class DigestCache {
  private entries = new Map<SyncPath, string>();
  private next: Map<SyncPath, string> | undefined;

  lookup(path: SyncPath, key: FileKey): string | undefined {
    const hit = this.entries.get(path);
    if (hit === undefined || hit.length !== KEY_CHARS + 32 || !startsWithKey(hit, key)) return undefined;
    this.next?.set(path, hit);
    // the kept string is the key's 40 chars and the digest's 32, one byte each: read back as hex
    // through the pack buffer, with no slice or buffer made per look-up
    packBuffer.write(hit, 0, KEY_CHARS + 32, 'latin1');
    return packBuffer.toString('hex', KEY_CHARS, KEY_CHARS + 32);
  }

  remember(path: SyncPath, key: FileKey, digest: string, readAtMs: number): void {
    this.keep(path, key, digest, trusted(key, readAtMs));
  }

  /**
   * A file sync itself just placed: its own last steps (mode, owner, link, unlink of the staged
   * name) moved its ctime up to `readAtMs`, so the ctime rule would forget it and the next scan
   * would hash it again. The caller read its bytes back from its fd at `readAtMs`, after those
   * steps, and they were last written at the key's mtime: when that mtime is clearly older than
   * the read, any write since left another mtime, so the mtime stands in for the ctime. A recent
   * mtime (bytes written right before) is forgotten, as `remember` forgets a racy digest.
   */
  rememberPlaced(path: SyncPath, key: FileKey, digest: string, readAtMs: number): void {
    this.keep(path, key, digest, trusted({ ...key, ctimeNs: key.mtimeNs }, readAtMs));
  }

  /** Keeps a trusted SHA-256 for the key; anything else forgets what was kept for the path. */
  private keep(path: SyncPath, key: FileKey, digest: string, isTrusted: boolean): void {
    if (!isTrusted || !DIGEST_PATTERN.test(digest)) {
      this.entries.delete(path);
      this.next?.delete(path);
      return;
    }
    const packed = flat(packKey(key) + Buffer.from(digest, 'hex').toString('latin1'));
    this.entries.set(path, packed);
    this.next?.set(path, packed);
  }

  /** A full scan starts: paths it does not see again are dropped when it ends. */
  beginScan(): void {
    this.next = new Map();
  }

  endScan(complete: boolean): void {
    if (complete && this.next) this.entries = this.next;
    this.next = undefined;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** How many files were hashed so far in this process (tests prove a cached rescan hashes nothing). */
export const hashStats = { files: 0, bytes: 0 };

const HASH_BUFFER = 1024 * 1024;
let sharedBuffer: Buffer | undefined;

/**
 * SHA-256 of the first `size` bytes of an open file. `exact` is false when the file held fewer
 * bytes, or more, than `size` (it changed under us): the digest then means nothing.
 */
export function hashFd(fd: number, size: number): { digest: string; exact: boolean } {
  const buffer = (sharedBuffer ??= Buffer.allocUnsafe(HASH_BUFFER));
  const hash = createHash('sha256');
  const at = hashFileBytes(fd, hash, size, buffer);
  const longer = at === size && fs.readSync(fd, buffer, 0, 1, at) > 0;
  hashStats.files++;
  hashStats.bytes += at;
  return { digest: hash.digest('hex'), exact: at === size && !longer };
}

export const DIGEST_PATTERN = /^[0-9a-f]{64}$/;
