import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../errors.js';
import { joinBytes, showBytes } from './byte-path.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/**
 * fd-based operations on a tree that a container can write. Every name is looked up inside a
 * directory fd (`/proc/self/fd/<dir>/<name>`, Linux's openat() through a path), folders are
 * opened with O_NOFOLLOW one component at a time and checked with fstat after the open, so a
 * folder swapped for a link between a check and a use is never followed. Names are bytes.
 */
export function inDir(dirFd: number, name: Buffer | string): Buffer {
  const prefix = fdPrefix(dirFd);
  const bytes = typeof name === 'string' ? Buffer.from(name) : name;
  const out = Buffer.allocUnsafe(prefix.length + bytes.length);
  prefix.copy(out, 0);
  bytes.copy(out, prefix.length);
  return out;
}

/** `/proc/self/fd/<fd>/` as bytes; fd numbers are few and reused, so they are kept. */
const prefixes: Buffer[] = [];
function fdPrefix(fd: number): Buffer {
  return (prefixes[fd] ??= Buffer.from(`/proc/self/fd/${fd}/`));
}

export function fdTarget(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

export type EntryKind = 'file' | 'folder' | 'symlink' | 'other';

export function kindOf(st: fs.Stats): EntryKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'folder';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** The entry itself (a link is not followed), or undefined when nothing is there. */
export function lstatIn(dirFd: number, name: Buffer | string): fs.Stats | undefined {
  try {
    return fs.lstatSync(inDir(dirFd, name));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The names in an open folder, as bytes, in byte order. */
export function listNames(dirFd: number): Buffer[] {
  const names = fs.readdirSync(fdTarget(dirFd), { encoding: 'buffer' });
  return names.sort(Buffer.compare);
}

/** Opens a folder by absolute path (a root berth was given); follows nothing below it. */
export function openRoot(path: string): number {
  try {
    return fs.openSync(path, O_RDONLY | O_DIRECTORY);
  } catch (err) {
    throw new BerthError('NOT_FOUND', `the folder ${path} cannot be opened (${errnoOf(err) ?? 'error'})`);
  }
}

/**
 * Opens the folder `name` inside `dirFd` without following a link; undefined when it is absent,
 * not a folder, or a link. `create` makes it (with that mode) when absent.
 */
export function openChildDir(dirFd: number, name: Buffer | string, create?: number): number | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(inDir(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (!fs.fstatSync(fd).isDirectory()) {
        fs.closeSync(fd);
        return undefined;
      }
      return fd;
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT' && create !== undefined && attempt === 0) {
        try {
          fs.mkdirSync(inDir(dirFd, name), create);
        } catch (mkErr) {
          if (errnoOf(mkErr) !== 'EEXIST') throw mkErr;
        }
        continue;
      }
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EACCES') return undefined;
      throw err;
    }
  }
  return undefined;
}

/**
 * Opens the folder at `components` below `rootFd`, one component at a time, following no link.
 * Throws PATH_REFUSED naming the project-relative path when a component is missing, a link or
 * not a folder (unless `create`, which makes missing folders with `mode`).
 */
export function openDirStrict(rootFd: number, components: readonly Buffer[], create?: number): number {
  let fd = fs.openSync(fdTarget(rootFd), O_RDONLY | O_DIRECTORY);
  for (let i = 0; i < components.length; i++) {
    const next = openChildDir(fd, components[i]!, create);
    if (next === undefined) {
      const st = lstatIn(fd, components[i]!);
      fs.closeSync(fd);
      const here = showBytes(joinBytes(components.slice(0, i + 1)));
      const what =
        st === undefined ? 'does not exist' : st.isSymbolicLink() ? 'is a symbolic link' : 'is not a folder';
      throw new BerthError('PATH_REFUSED', `"${here}" ${what}; berth does not follow it`, { path: here });
    }
    fs.closeSync(fd);
    fd = next;
  }
  return fd;
}

/** Opens a regular file for reading without following a link or blocking on a FIFO. */
export function openFileIn(dirFd: number, name: Buffer | string): { fd: number; st: fs.Stats } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(inDir(dirFd, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return undefined;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    return undefined;
  }
  return { fd, st };
}

/**
 * A small regular file in an open folder, not following a link and not blocking on a FIFO;
 * undefined when it is absent, not a regular file, or over `max` bytes.
 */
export function readSmallFileIn(dirFd: number, name: Buffer | string, max: number): Buffer | undefined {
  const opened = openFileIn(dirFd, name);
  if (!opened) return undefined;
  try {
    if (opened.st.size > max) return undefined;
    const buffer = Buffer.alloc(opened.st.size);
    return buffer.subarray(0, fs.readSync(opened.fd, buffer, 0, buffer.length, 0));
  } finally {
    fs.closeSync(opened.fd);
  }
}

/**
 * Copies the regular file `name` of `srcDir` (not a link, not a FIFO, at most `max` bytes) to a
 * new file of the same name in `dstDir`, from the fd that was checked, keeping its mode and
 * times. False when there is no such file.
 */
export function copyFileIn(srcDir: number, dstDir: number, name: Buffer | string, max = Infinity): boolean {
  const opened = openFileIn(srcDir, name);
  if (!opened) return false;
  try {
    if (opened.st.size > max) return false;
    const to = inDir(dstDir, name);
    fs.copyFileSync(fdTarget(opened.fd), to, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(to, opened.st.mode & 0o777);
    fs.utimesSync(to, opened.st.atime, opened.st.mtime);
    return true;
  } finally {
    fs.closeSync(opened.fd);
  }
}

/** Removes an entry and, for a folder, everything in it, never following a link. */
export function removeTreeIn(dirFd: number, name: Buffer | string, again = true): void {
  const child = openChildDir(dirFd, name);
  if (child === undefined) {
    try {
      fs.unlinkSync(inDir(dirFd, name));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return;
      // EISDIR: it became a folder since the open; go round once more
      if (errnoOf(err) === 'EISDIR' && again) return removeTreeIn(dirFd, name, false);
      throw err;
    }
    return;
  }
  try {
    for (const entry of listNames(child)) removeTreeIn(child, entry);
  } finally {
    fs.closeSync(child);
  }
  fs.rmdirSync(inDir(dirFd, name));
}
