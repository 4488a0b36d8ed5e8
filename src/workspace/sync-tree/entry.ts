/**
 * The vocabulary two-way sync speaks on both sides (the host replica and the agent in the
 * container). Everything here is plain data: it crosses the agent's stream as JSON.
 *
 * A path is a byte string: the bytes of the path below the sync root, `/`-separated, held in a
 * JS string one char per byte (latin1, see byte-path.ts `bytesKey`), so names that are not UTF-8
 * survive exactly. `''` is the root. A path never has a leading or trailing `/`, never an empty,
 * `.` or `..` component, and never a NUL byte (see `checkSyncPath`).
 */
export type SyncPath = string;

/** Permission bits kept per entry: rwx for user/group/other (setuid, setgid, sticky are not synced). */
export const SYNC_MODE_MASK = 0o777;

export interface FileEntry {
  kind: 'file';
  /** Permission bits (SYNC_MODE_MASK). */
  mode: number;
  size: number;
  /** SHA-256 of the content, lowercase hex. */
  digest: string;
}

export interface DirEntry {
  kind: 'dir';
  mode: number;
}

export interface LinkEntry {
  kind: 'link';
  /** The link's target as a byte string (latin1); copied as is, never followed. */
  target: string;
}

export type SyncEntry = FileEntry | DirEntry | LinkEntry;

/** A whole side, or the ancestor: every synced path (the root `''` included, as a dir). */
export type SyncTree = Map<SyncPath, SyncEntry>;

/** A tree only read (the reconciler's input; the ancestor is held packed, see packed-entry.ts). */
export type ReadonlySyncTree = ReadonlyMap<SyncPath, SyncEntry>;

/** A path a scan could not judge (unreadable, changed while read, a mount point, a FIFO...). */
export interface ScanProblem {
  path: SyncPath;
  reason: string;
}

export interface ScanResult {
  /** Every entry found, the root included (absent when the root itself is missing). */
  entries: SyncTree;
  /**
   * Paths the scan could not judge: they, and everything below them, are neither present nor
   * absent (never taken as deleted).
   */
  problems: ScanProblem[];
  /** The root is missing, or is not a folder (halts the pair). */
  root: 'dir' | 'missing' | 'not-a-dir';
}

/**
 * One change to make on a side. `expect` is what the side must hold at `path` right before the
 * change (null: nothing), checked after the target was renamed aside; when it does not match,
 * the change is not made, the aside copy goes back, and the result says `changed`.
 * Whatever a change replaces or removes (a file's bytes) goes to the side's attic first.
 */
export type SyncOp =
  /** Puts a file whose content (by digest) was staged on this side before. */
  | { op: 'put'; path: SyncPath; expect: SyncEntry | null; entry: FileEntry }
  | { op: 'mkdir'; path: SyncPath; expect: SyncEntry | null; mode: number }
  | { op: 'symlink'; path: SyncPath; expect: SyncEntry | null; target: string }
  /** Permission bits only, on a file or dir that matches `expect`. */
  | { op: 'chmod'; path: SyncPath; expect: FileEntry | DirEntry; mode: number }
  /** A file or link; a dir only when it is empty (its children are removed by earlier ops). */
  | { op: 'remove'; path: SyncPath; expect: SyncEntry }
  /**
   * Renames what is at `path` (matching `expect`; a dir with everything in it) to `to`, a name
   * that must be free: how a conflict's losing version is kept beside the winner.
   */
  | { op: 'move'; path: SyncPath; expect: SyncEntry; to: SyncPath };

export type OpResult =
  /** Done; `entry` is what the side now holds at the op's path (null after remove/move). */
  | { ok: true; entry: SyncEntry | null }
  /**
   * Not done, nothing changed: `changed` (the side did not match `expect`), `missing-content`
   * (no staged content with that digest), `error` (detail says what).
   */
  | { ok: false; reason: 'changed' | 'missing-content' | 'error'; detail: string };

/** Who a replica is: a recreated container or volume gets a new marker, so a first sync follows. */
export interface ReplicaIdentity {
  /** A random id written at the root (`.berth-sync/replica-id`) the first time berth sees it. */
  marker: string;
  /** Filesystem id and root inode, as `dev:ino`. */
  root: string;
  /** Engine ids where they apply (the container side): volume name and creation time. */
  engine?: string;
}

/** The folder at every sync root that holds berth's own state; never synced, never scanned. */
export const SYNC_STATE_DIR = '.berth-sync';
