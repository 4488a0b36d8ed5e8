import type { OpResult, ReplicaIdentity, ScanResult, SyncOp, SyncPath } from './entry.js';

/** One piece of a file's content on its way between replicas; a file's pieces come in order. */
export interface ContentChunk {
  digest: string;
  data: Buffer;
  /** The file's last piece (a file of 0 bytes is one chunk with empty data and last: true). */
  last: boolean;
  /** The source could not read it (gone, changed, unreadable): the file is not staged. */
  failed?: string;
}

export interface ContentRequest {
  path: SyncPath;
  digest: string;
  size: number;
}

export interface StageResult {
  /** Digests now staged, verified against their bytes. */
  staged: string[];
  /** Digests not staged, with why (bytes did not hash to the digest, source failed, too big). */
  failed: { digest: string; reason: string }[];
}

/** A hint from a watcher: these paths (and what is under them) may have changed, or anything. */
export type WatchHint = { paths: SyncPath[] } | { all: true; reason: string };

export interface ScanOptions {
  /** gitignore-style rules (one pattern per entry); ignored paths are not descended into. */
  ignore: string[];
  /**
   * A scoped scan (after a watcher's hint): only these paths (each with everything below it and
   * the folders on the way to it) and the root's own entries; absent: the whole tree.
   */
  paths?: SyncPath[];
}

/**
 * One side of a sync pair: the host folder (LocalReplica, fd-based, in this folder) or the
 * container's volume (RemoteReplica in src/sync/, which speaks to an agent that runs a
 * LocalReplica beside the volume). The controller in src/sync/ drives both the same way.
 */
export interface Replica {
  readonly side: 'local' | 'container';
  /** Reads (and on first sight writes) the root's marker. */
  identity(): Promise<ReplicaIdentity>;
  /** A full scan; unchanged files (same dev, ino, size, mtime, ctime) reuse their cached digest. */
  scan(options: ScanOptions): Promise<ScanResult>;
  /** The content of these files, verified by the receiver; a changed file is sent as failed. */
  read(files: ContentRequest[]): AsyncIterable<ContentChunk>;
  /** Stages content (into SYNC_STATE_DIR/stage, fsynced) for later `put` ops. */
  stage(chunks: AsyncIterable<ContentChunk>): Promise<StageResult>;
  /** Runs the ops in order; one result per op. Later ops may depend on earlier ones. */
  apply(ops: SyncOp[]): Promise<OpResult[]>;
  /** Removes staged content that no op used. */
  clearStage(): Promise<void>;
  /** Starts watching (one watch per folder); returns a function that stops it. */
  watch(onHint: (hint: WatchHint) => void): Promise<() => void>;
  close(): Promise<void>;
}
