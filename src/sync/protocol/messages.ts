/**
 * What crosses the agent's stream: each frame's header is one of these (`t` says which, `id`
 * ties an answer to its request). Small fields travel in the header; anything that grows with
 * the tree (scan entries, ops, results, a read's file list) travels as JSON in the body, so the
 * header stays under its cap. File content travels raw in the body of `chunk` frames.
 * Types only: the agent imports this file without any runtime cost.
 */
import type { ContentRequest, StageResult, WatchHint } from '../../workspace/sync-tree/replica.js';
import type {
  OpResult,
  ReplicaIdentity,
  ScanProblem,
  SyncEntry,
  SyncOp,
  SyncPath,
} from '../../workspace/sync-tree/entry.js';

/**
 * Requests, client → agent. Bodies: scan `ScanOptions` plus `since` (the token of the client's
 * copy of the last full scan: a full scan is then sent as changes against it), read `ContentRequest[]`, apply `SyncOp[]`. */
export type Request =
  | { t: 'identity'; id: number }
  | { t: 'scan'; id: number }
  | { t: 'read'; id: number }
  /** Opens a stage: `stage-chunk` frames follow (body: the data), then `stage-end`. */
  | { t: 'stage'; id: number }
  | { t: 'stage-chunk'; id: number; digest: string; last: boolean; failed?: string }
  | { t: 'stage-end'; id: number }
  | { t: 'apply'; id: number }
  | { t: 'clear-stage'; id: number }
  /** Hints follow as `hint` frames with this id, until `unwatch` names it. */
  | { t: 'watch'; id: number }
  | { t: 'unwatch'; id: number; watch: number }
  /** The client gave up on a read (stop sending) or a stage (its source failed). */
  | { t: 'cancel'; id: number };

/** Answers, agent → client. */
export type Answer =
  | { t: 'identity'; id: number; identity: ReplicaIdentity }
  /** Body: `ScanPart`; many per scan, then `scan-end`. */
  | { t: 'scan-part'; id: number }
  /**
   * `token` names a full scan, for the next request's `since`; `base` says the parts were what
   * changed since the full scan it names (the client's copy of it, with these applied, is the scan).
   */
  | { t: 'scan-end'; id: number; root: 'dir' | 'missing' | 'not-a-dir'; token?: string; base?: string }
  /** Body: the data. */
  | { t: 'chunk'; id: number; digest: string; last: boolean; failed?: string }
  | { t: 'read-end'; id: number }
  /** Body: `StageResult`. */
  | { t: 'staged'; id: number }
  /** Body: `OpResult[]`, one per op. */
  | { t: 'applied'; id: number }
  | { t: 'done'; id: number }
  | { t: 'hint'; id: number; hint: WatchHint }
  | { t: 'error'; id: number; code: string; message: string };

export interface ScanPart {
  entries: [SyncPath, SyncEntry][];
  problems: ScanProblem[];
  /** In a scan sent as changes: paths of the base scan that are gone. */
  removed?: SyncPath[];
}

export type { ContentRequest, OpResult, StageResult, SyncOp };

/** How many scan entries one `scan-part` carries (well under the frame cap). */
export const SCAN_PART_ENTRIES = 5000;
