import type { SyncEntry } from '../../workspace/sync-tree/entry.js';

/**
 * Whether two entries are the same version: same kind, and for a file the same content and
 * mode (the size follows the digest, so it is not compared), for a dir the same mode, for a
 * link the same target. Absent (null or undefined) equals only absent.
 */
export function entriesEqual(a: SyncEntry | null | undefined, b: SyncEntry | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a === null || a === undefined) && (b === null || b === undefined);
  }
  switch (a.kind) {
    case 'file':
      return b.kind === 'file' && a.digest === b.digest && a.mode === b.mode;
    case 'dir':
      return b.kind === 'dir' && a.mode === b.mode;
    case 'link':
      return b.kind === 'link' && a.target === b.target;
  }
}
