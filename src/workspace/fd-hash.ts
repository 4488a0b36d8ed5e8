import * as fs from 'node:fs';
import type { Hash } from 'node:crypto';

/**
 * Feeds the first `size` bytes of the file open at `fd` into `hash`, a buffer at a time, and
 * returns how many it found: fewer than `size` when the file shrank while it was read.
 */
export function hashFileBytes(fd: number, hash: Hash, size: number, buffer: Buffer): number {
  let at = 0;
  while (at < size) {
    const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, size - at), at);
    if (n === 0) break;
    hash.update(buffer.subarray(0, n));
    at += n;
  }
  return at;
}
