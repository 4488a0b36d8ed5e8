import type { SyncPath } from '../../workspace/sync-tree/entry.js';

/** Path arithmetic on byte-string sync paths ('' is the root; parent of 'a/b' is 'a'). */

export function parentOf(path: SyncPath): SyncPath {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function nameOf(path: SyncPath): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function childOf(dir: SyncPath, name: string): SyncPath {
  return dir === '' ? name : `${dir}/${name}`;
}

/** `path` is `root` or lies below it. */
export function isAtOrBelow(path: SyncPath, root: SyncPath): boolean {
  return root === '' || path === root || path.startsWith(`${root}/`);
}

/** `path` moved along with `from` when `from` is renamed to `to` (path is at or below from). */
export function rebase(path: SyncPath, from: SyncPath, to: SyncPath): SyncPath {
  return path === from ? to : `${to}${path.slice(from.length)}`;
}

/** Every proper ancestor of a path, the root included ('a/b/c' → 'a/b', 'a', ''). */
export function ancestorsOf(path: SyncPath): SyncPath[] {
  const out: SyncPath[] = [];
  let at = path;
  while (at !== '') {
    at = parentOf(at);
    out.push(at);
  }
  return out;
}

/**
 * Byte order: one char per byte, so comparing UTF-16 code units compares the bytes. (Not
 * localeCompare, which would fold case and reorder bytes above 0x7f.)
 */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An empty, `.` or `..` component (a leading, trailing or doubled `/` included), or a NUL. */
const MALFORMED = /(?:^|\/)\.{0,2}(?:\/|$)|\0/;

/**
 * Whether a path below the root has the shape entry.ts promises. The replicas check this
 * before anything reaches the reconciler; it checks again, since a container's scan is hostile.
 */
export function isWellFormed(path: SyncPath): boolean {
  return !MALFORMED.test(path);
}
