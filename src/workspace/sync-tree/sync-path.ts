import { BerthError } from '../../errors.js';
import { showBytes } from '../byte-path.js';
import { SYNC_STATE_DIR, type SyncPath } from './entry.js';

/** A path in messages: the bytes decoded where they are UTF-8, `\xNN` where not. */
export function showSyncPath(path: SyncPath): string {
  return showBytes(Buffer.from(path, 'latin1'));
}

/**
 * Refuses a path that is not in the shape entry.ts describes. Paths given to a replica may come
 * from the other, untrusted side, so every one is checked before a single component is used.
 */
export function checkSyncPath(path: SyncPath): void {
  const bad = (why: string): never => {
    throw new BerthError('INVALID_ARGUMENT', `the sync path "${showSyncPath(path)}" ${why}`, {
      path: showSyncPath(path),
    });
  };
  if (typeof path !== 'string') bad('is not a string');
  if (path === '') bad('is empty (the root itself cannot be changed)');
  if (path.includes('\0')) bad('holds a NUL byte');
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) > 0xff)
      bad('holds a character that is not a byte (paths are latin1 byte strings)');
  }
  if (path.startsWith('/') || path.endsWith('/')) bad('starts or ends with "/"');
  for (const part of path.split('/')) {
    if (part === '') bad('has an empty component');
    if (part === '.' || part === '..') bad(`has a "${part}" component`);
  }
}

/** The components of a checked path, as the bytes the file system takes. */
export function pathComponents(path: SyncPath): Buffer[] {
  return path.split('/').map((part) => Buffer.from(part, 'latin1'));
}

/** True for the state folder at the root and everything in it: never synced, never changed by an op. */
export function isStatePath(path: SyncPath): boolean {
  return path === SYNC_STATE_DIR || path.startsWith(`${SYNC_STATE_DIR}/`);
}

export function joinSyncPath(dir: SyncPath, name: string): SyncPath {
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * Why a link's target would lead out of the root, or undefined when it stays inside. Judged
 * from the bytes alone, from the folder the link sits in (`linkPath`'s parent), never by
 * following anything. Besides the plain rule (absolute, or more `..` than the link is deep) a
 * `..` after a name is refused too: that name may itself be a link (`d/up -> ..`, then
 * `esc -> d/up/..`), and lexically the pair looks inside while the kernel would climb out. With
 * `..` only at the front, every link that passes resolves inside the root, whatever the others are.
 */
export function linkTargetEscape(linkPath: SyncPath, target: string): string | undefined {
  if (target === '') return 'has an empty target';
  if (target.includes('\0')) return 'has a NUL byte in its target';
  if (target.startsWith('/')) return 'has an absolute target';
  let level = linkPath.split('/').length - 1;
  let named = false;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (named)
        return 'has a target that climbs with ".." after a name (it may leave the root through another link)';
      level--;
      if (level < 0) return 'has a target that climbs out of the root';
    } else {
      named = true;
    }
  }
  return undefined;
}
