import type {
  ReadonlySyncTree,
  ScanProblem,
  SyncEntry,
  SyncOp,
  SyncPath,
  SyncTree,
} from '../../workspace/sync-tree/entry.js';

/** The two replicas of a sync pair: the host folder and the container's volume. */
export type Side = 'local' | 'container';

/** A change to the ancestor (the last state both sides agreed on) at one path. */
export interface AncestorUpdate {
  path: SyncPath;
  /** null: drop the path from the ancestor. */
  entry: SyncEntry | null;
}

export interface PlannedOp {
  side: Side;
  op: SyncOp;
  /** For 'put': the path on the OTHER side whose content (op.entry.digest) is sent. */
  from?: SyncPath;
}

/** A group: its ancestor updates are applied only when every op in it succeeded. */
export interface PlanStep {
  ops: PlannedOp[];
  ancestor: AncestorUpdate[];
}

/** Both sides changed a path differently: the container's version stays, the local one is kept aside. */
export interface Conflict {
  path: SyncPath;
  local: SyncEntry | null;
  container: SyncEntry | null;
  /** Where the losing (local) version is kept, on both sides once the step ran. */
  copy: SyncPath;
}

export type HaltReason = 'root-deleted' | 'root-emptied' | 'root-type-changed' | 'mass-delete';

/** Why a cycle changes nothing at all: what it saw looks like an accident, not an edit. */
export interface Halt {
  reason: HaltReason;
  side: Side;
  detail: string;
}

export interface ReconcilePlan {
  steps: PlanStep[];
  conflicts: Conflict[];
  halt?: Halt;
  /** Paths skipped because a scan problem covers them (the problem paths included), in byte order. */
  skipped: SyncPath[];
}

export interface ReconcileInput {
  /** Empty map = first sync (no ancestor, or a replica was recreated). */
  ancestor: ReadonlySyncTree;
  /** Each side includes the root '' as a dir when the root exists. */
  local: SyncTree;
  container: SyncTree;
  localRoot: 'dir' | 'missing' | 'not-a-dir';
  containerRoot: 'dir' | 'missing' | 'not-a-dir';
  localProblems: ScanProblem[];
  containerProblems: ScanProblem[];
  /** For conflict copy names, e.g. '20261201T190512Z'. */
  stamp: string;
  /** Overrides the mass-delete threshold (default max(1000, 10% of ancestor entries)). */
  massDeleteLimit?: number;
  /** Lets an emptied root through (someone checked: `berth sync --allow-deletes`). */
  allowEmptiedRoot?: boolean;
}
