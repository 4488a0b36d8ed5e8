import * as fs from 'node:fs';
import { errnoOf } from '../../errors.js';
import { inDir } from '../fd-dir.js';
import type { DigestCache } from './digest-cache.js';
import { hashFd, keyOf, sameKey } from './digest-cache.js';
import { SYNC_MODE_MASK, type SyncEntry, type SyncPath } from './entry.js';
import { ASIDE_PREFIX, linkNoReplace, lstatBig, openFileNoFollow, randomName } from './tree-fds.js';

/**
 * Rule 3 of the design notes: an entry about to be replaced or removed is first renamed aside
 * (same folder, atomic), and only the aside copy is checked against what the change expects.
 * Whoever writes to the name afterwards creates a new entry, which the change then does not
 * touch; whoever still has the old inode open writes into the aside copy, which is kept.
 */

/** Renames `name` to a fresh `.berth-aside-…` name; undefined when nothing is at `name`. */
export function setAside(dirFd: number, name: Buffer): Buffer | undefined {
  const aside = randomName(ASIDE_PREFIX);
  try {
    fs.renameSync(inDir(dirFd, name), inDir(dirFd, aside));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
  return aside;
}

/**
 * Why the entry at `name` does not match `expect`, or undefined when it does: kind; a file's
 * size, mode and digest (the cache is used only when dev, inode, size, mtime and ctime all
 * match, otherwise the file is hashed from an fd opened without following anything); a
 * folder's mode (and, with `emptyDir`, that nothing is in it); a link's target bytes.
 */
export function mismatch(
  dirFd: number,
  name: Buffer,
  expect: SyncEntry,
  cache: { cache: DigestCache; path: SyncPath },
  emptyDir = false,
): string | undefined {
  const st = lstatBig(dirFd, name);
  if (st === undefined) return 'it vanished';
  const kind = st.isFile()
    ? 'file'
    : st.isDirectory()
      ? 'dir'
      : st.isSymbolicLink()
        ? 'link'
        : 'special file';
  if (kind !== expect.kind) return `it is a ${kind} now, not a ${expect.kind}`;
  if (expect.kind === 'link') {
    const target = fs.readlinkSync(inDir(dirFd, name), { encoding: 'buffer' }).toString('latin1');
    return target === expect.target ? undefined : 'the link points elsewhere now';
  }
  if ((Number(st.mode) & SYNC_MODE_MASK) !== expect.mode) return 'its mode changed';
  if (expect.kind === 'dir') {
    if (emptyDir && fs.readdirSync(inDir(dirFd, name)).length > 0) return 'the folder is not empty';
    return undefined;
  }
  if (Number(st.size) !== expect.size) return 'its size changed';
  if (cache.cache.lookup(cache.path, keyOf(st)) === expect.digest) return undefined;
  const opened = openFileNoFollow(dirFd, name);
  if ('error' in opened) return `it cannot be read (${opened.error})`;
  try {
    if (opened.st.ino !== st.ino) return 'it was replaced while checked';
    const { digest, exact } = hashFd(opened.fd, expect.size);
    const after = fs.fstatSync(opened.fd, { bigint: true });
    if (!exact || !sameKey(keyOf(opened.st), keyOf(after))) return 'it is being written';
    return digest === expect.digest ? undefined : 'its content changed';
  } finally {
    fs.closeSync(opened.fd);
  }
}

/**
 * Puts an aside entry back at `name`. When the name was taken meanwhile the aside is kept
 * beside it as `<name>.berth-conflict-<side>-<time>` (never deleted); returns that name then.
 * A folder goes back by rename after a check that the name is free: an empty folder made in
 * that instant would be replaced (and only that: rename never replaces a non-empty one or a file).
 */
export function putBack(dirFd: number, aside: Buffer, name: Buffer, side: string): string | undefined {
  const st = lstatBig(dirFd, aside);
  if (st === undefined) return undefined;
  if (st.isDirectory()) {
    if (lstatBig(dirFd, name) === undefined) {
      try {
        fs.renameSync(inDir(dirFd, aside), inDir(dirFd, name));
        return undefined;
      } catch (err) {
        if (!['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR'].includes(errnoOf(err) ?? '')) throw err;
      }
    }
    return keepAsConflict(dirFd, aside, name, side);
  }
  if (linkNoReplace(dirFd, aside, dirFd, name) === 'done') {
    fs.unlinkSync(inDir(dirFd, aside));
    return undefined;
  }
  return keepAsConflict(dirFd, aside, name, side);
}

/** Gives an aside entry a lasting, visible name next to `name`; returns that name (latin1). */
export function keepAsConflict(dirFd: number, aside: Buffer, name: Buffer, side: string): string {
  const isDir = lstatBig(dirFd, aside)?.isDirectory() ?? false;
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const base = name.length > 180 ? name.subarray(0, 180) : name;
  for (let n = 1; n < 1000; n++) {
    const candidate = Buffer.concat([
      base,
      Buffer.from(`.berth-conflict-${side}-${stamp}${n > 1 ? `-${n}` : ''}`),
    ]);
    if (isDir) {
      if (lstatBig(dirFd, candidate) !== undefined) continue;
      fs.renameSync(inDir(dirFd, aside), inDir(dirFd, candidate));
      return candidate.toString('latin1');
    }
    if (linkNoReplace(dirFd, aside, dirFd, candidate) === 'done') {
      fs.unlinkSync(inDir(dirFd, aside));
      return candidate.toString('latin1');
    }
  }
  // a thousand names taken: the aside keeps its own name, which scans report as a problem
  return aside.toString('latin1');
}
