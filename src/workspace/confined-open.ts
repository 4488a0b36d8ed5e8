import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../errors.js';
import type { ConfinedRoot } from './confined-root.js';
import { at, lstatAt } from './link-resolution.js';
import { displayPath, pathComponents, refused } from './relative-path.js';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** A regular file opened for reading; the caller closes `fd`. */
export interface OpenFile {
  fd: number;
  size: number;
}

/**
 * Opens the regular file at `path` for reading, following in-root links only (ConfinedRoot's
 * walk), with O_NOFOLLOW and O_NONBLOCK on the final open and fstat checks on what was opened.
 */
export function openReadable(root: ConfinedRoot, path: string): OpenFile {
  const { dir, name } = root.locate(pathComponents(path), true);
  let fd: number;
  try {
    fd = fs.openSync(at(dir.fd, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    throw describeOpenError(errnoOf(err), [...dir.components, name], 'file');
  } finally {
    fs.closeSync(dir.fd);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory())
      throw new BerthError('IS_A_FOLDER', `"${path}" is a folder; use list_files to see inside it`);
    if (!st.isFile()) throw new BerthError('NOT_A_FILE', `"${path}" is not a regular file`);
    return { fd, size: st.size };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** All of an open file, refusing one that is (or grows) over `maxBytes`. */
export function readAll(fd: number, size: number, maxBytes: number, shown: string): Buffer {
  // read one byte past the size: a file that grew since fstat must not slip past the cap
  const buffer = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
  let total = 0;
  for (;;) {
    const n = fs.readSync(fd, buffer, total, buffer.length - total, null);
    if (n === 0) break;
    total += n;
    if (total === buffer.length) {
      if (total > maxBytes) {
        throw new BerthError('TOO_LARGE', `"${shown}" grew past the ${maxBytes}-byte limit while being read`);
      }
      break;
    }
  }
  return buffer.subarray(0, total);
}

/**
 * Refuses, before any work is done, what ConfinedRoot.writeFile would refuse at the end: a
 * folder, or a file with other hard links (one of them may be outside the project).
 */
export function checkReplaceable(root: ConfinedRoot, path: string): void {
  const { dir, name } = root.locate(pathComponents(path), false);
  try {
    const existing = lstatAt(dir.fd, name);
    if (existing?.isDirectory())
      throw new BerthError('IS_A_FOLDER', `"${path}" is a folder; give a file path`);
    if (existing?.isFile() && existing.nlink > 1)
      throw refused(path, 'has other hard links, possibly outside the project; berth will not write to it');
  } finally {
    fs.closeSync(dir.fd);
  }
}

export function describeOpenError(
  code: string | undefined,
  components: string[],
  wanted: 'file' | 'folder',
): BerthError {
  const shown = displayPath(components);
  if (code === 'ENOENT') return new BerthError('NOT_FOUND', `"${shown}" does not exist`);
  if (code === 'ENOTDIR' && wanted === 'folder') {
    return new BerthError('NOT_A_FOLDER', `"${shown}" is a file, not a folder`);
  }
  if (code === 'ELOOP')
    return refused(shown, 'is a symbolic link that changed while being opened; try again');
  if (code === 'EACCES' || code === 'EPERM')
    return new BerthError('PATH_REFUSED', `"${shown}" is not accessible`);
  return new BerthError('PATH_REFUSED', `"${shown}" cannot be opened (${code ?? 'unknown error'})`);
}
