import { randomFillSync } from 'node:crypto';
import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../../errors.js';
import { fdTarget, inDir } from '../fd-dir.js';
import type { SyncPath } from './entry.js';
import { pathComponents, showSyncPath } from './sync-path.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/**
 * The fd steps a sync replica takes through a tree the other side may be changing: folders are
 * opened one component at a time with O_NOFOLLOW through their parent's fd, on the root's
 * file system only, and every name is used inside a folder fd (fd-dir.ts `inDir`).
 */

/** The entry itself (a link is not followed), or undefined when nothing is there. */
export function lstatBig(dirFd: number, name: Buffer): fs.BigIntStats | undefined {
  return lstatOrAbsent(inDir(dirFd, name));
}

/**
 * `lstatBig` for a name (one readdir name: no '/', never '.' or '..') in the working folder,
 * which the caller entered through the folder's fd (see ScanLimits.statInCwd).
 */
export function lstatInCwd(name: Buffer): fs.BigIntStats | undefined {
  return lstatOrAbsent(name);
}

/** lstat of a path; undefined when nothing is there (ENOENT, or a parent that is not a folder). */
function lstatOrAbsent(path: string | Buffer): fs.BigIntStats | undefined {
  try {
    return fs.lstatSync(path, { bigint: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Opens the folder `name` in `dirFd` without following a link; the errno when that fails. */
export function openDirIn(
  dirFd: number,
  name: Buffer,
): { fd: number; st: fs.BigIntStats } | { error: string } {
  let fd: number;
  try {
    fd = fs.openSync(inDir(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    return { error: errnoOf(err) ?? String(err) };
  }
  const st = fs.fstatSync(fd, { bigint: true });
  if (!st.isDirectory()) {
    fs.closeSync(fd);
    return { error: 'ENOTDIR' };
  }
  return { fd, st };
}

/** Opens a regular file for reading through its folder's fd, never a link, never blocking on a FIFO. */
export function openFileNoFollow(
  dirFd: number,
  name: Buffer,
): { fd: number; st: fs.BigIntStats } | { error: string } {
  let fd: number;
  try {
    fd = fs.openSync(inDir(dirFd, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    return { error: errnoOf(err) ?? String(err) };
  }
  const st = fs.fstatSync(fd, { bigint: true });
  if (!st.isFile()) {
    fs.closeSync(fd);
    return { error: 'not a regular file' };
  }
  return { fd, st };
}

/** A duplicate fd of an open folder (so a caller may close its copy independently). */
export function reopenDir(dirFd: number): number {
  return fs.openSync(fdTarget(dirFd), O_RDONLY | O_DIRECTORY);
}

/** Where an op's path lives: its parent folder (open; the caller closes it) and its last name. */
export interface ParentDir {
  fd: number;
  name: Buffer;
}

/**
 * Opens the parent folder of `path` below the root, one component at a time, refusing a
 * component that is missing, a link, not a folder, or on another file system than the root
 * (a mount point: nothing is written across it).
 */
export function openParent(rootFd: number, rootDev: bigint, path: SyncPath): ParentDir {
  const parts = pathComponents(path);
  const name = parts.pop()!;
  let fd = reopenDir(rootFd);
  for (let i = 0; i < parts.length; i++) {
    const next = openDirIn(fd, parts[i]!);
    fs.closeSync(fd);
    const here = showSyncPath(
      path
        .split('/')
        .slice(0, i + 1)
        .join('/'),
    );
    if ('error' in next) {
      const why =
        next.error === 'ENOENT'
          ? 'does not exist'
          : next.error === 'ELOOP' || next.error === 'ENOTDIR'
            ? 'is a link or not a folder'
            : `cannot be opened (${next.error})`;
      throw new BerthError('PATH_REFUSED', `"${here}" ${why}; sync does not follow it`, { path: here });
    }
    if (next.st.dev !== rootDev) {
      fs.closeSync(next.fd);
      throw new BerthError(
        'PATH_REFUSED',
        `"${here}" is on another file system than the sync root (a mount point)`,
        {
          path: here,
        },
      );
    }
    fd = next.fd;
  }
  return { fd, name };
}

/** Random bytes for names, 8 per name, drawn 4 KiB at a time (a draw per name cost 8–17 µs). */
const pool = Buffer.alloc(8 * 512);
let poolAt = pool.length;

/** A fresh name in a folder berth owns for the moment (`.berth-aside-…`, `.berth-tmp-…`). */
export function randomName(prefix: string): Buffer {
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + 8);
  poolAt += 8;
  return Buffer.from(`${prefix}${hex}`, 'latin1');
}

/** Names berth itself makes inside synced folders while it changes them. */
export const ASIDE_PREFIX = '.berth-aside-';

/**
 * `link(from, to)`: puts the very inode at `from` at `to`, failing with EEXIST when anything is
 * at `to`: the one "create only if absent" step Node has for an existing file (no renameat2).
 */
export function linkNoReplace(fromDir: number, from: Buffer, toDir: number, to: Buffer): 'done' | 'taken' {
  try {
    fs.linkSync(inDir(fromDir, from), inDir(toDir, to));
    return 'done';
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return 'taken';
    throw err;
  }
}

/**
 * fsync of many open fds at once (the thread pool runs them side by side), each closed after
 * when `close`. Settles once every fsync did (an fd is never closed under a running one), with
 * the first error.
 */
export async function fsyncAll(fds: Iterable<number>, close: boolean): Promise<void> {
  const settled = await Promise.allSettled(
    [...fds].map(
      (fd) =>
        new Promise<void>((resolve, reject) => {
          fs.fsync(fd, (err) => {
            if (close) fs.close(fd, () => undefined);
            if (err) reject(err);
            else resolve();
          });
        }),
    ),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
