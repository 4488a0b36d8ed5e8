import type { DirEntry, FileEntry, SyncEntry, SyncPath } from '../../workspace/sync-tree/entry.js';
import type { PlannedOp, Side } from './types.js';

/**
 * A dir is created, or has its mode changed, with owner write and search (u+wx) so that what
 * goes inside can be placed; a mode without them is set only after the dir's contents are in.
 */
const OWNER_WX = 0o300;
const OWNER_RWX = 0o700;

export function locksOwnerOut(mode: number): boolean {
  return (mode & OWNER_WX) !== OWNER_WX;
}

/** The mode a dir is created with: its own, or with u+rwx added when that would lock us out. */
export function workingMode(mode: number): number {
  return locksOwnerOut(mode) ? mode | OWNER_RWX : mode;
}

/**
 * Places `entry` at `path` on `side`, replacing `expect` (a non-dir, or null). A dir is created
 * in its working mode (see `dirFinishOp`); a file's content comes from `from` on the other side.
 */
export function createOp(
  side: Side,
  path: SyncPath,
  entry: SyncEntry,
  expect: SyncEntry | null,
  from: SyncPath,
): PlannedOp {
  switch (entry.kind) {
    case 'file':
      return { side, op: { op: 'put', path, expect, entry }, from };
    case 'dir':
      return { side, op: { op: 'mkdir', path, expect, mode: workingMode(entry.mode) } };
    case 'link':
      return { side, op: { op: 'symlink', path, expect, target: entry.target } };
  }
}

/** The entry a just-created dir holds until `dirFinishOp` ran. */
export function createdEntry(entry: SyncEntry): SyncEntry {
  return entry.kind === 'dir' ? { kind: 'dir', mode: workingMode(entry.mode) } : entry;
}

/** After a dir's contents: its real mode, when it was created in a wider working mode. */
export function dirFinishOp(side: Side, path: SyncPath, entry: DirEntry): PlannedOp | undefined {
  if (!locksOwnerOut(entry.mode)) return undefined;
  return chmodOp(side, path, { kind: 'dir', mode: workingMode(entry.mode) }, entry.mode);
}

export function chmodOp(side: Side, path: SyncPath, expect: FileEntry | DirEntry, mode: number): PlannedOp {
  return { side, op: { op: 'chmod', path, expect, mode } };
}

export function removeOp(side: Side, path: SyncPath, expect: SyncEntry): PlannedOp {
  return { side, op: { op: 'remove', path, expect } };
}

export function moveOp(side: Side, path: SyncPath, expect: SyncEntry, to: SyncPath): PlannedOp {
  return { side, op: { op: 'move', path, expect, to } };
}

export function otherSide(side: Side): Side {
  return side === 'local' ? 'container' : 'local';
}
