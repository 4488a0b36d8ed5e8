import { describeError } from '../errors.js';
import type { SyncTable } from '../store/sync-table.js';
import { withFolderLock } from '../workspace/folder-lock.js';
import type {
  OpResult,
  ReadonlySyncTree,
  ScanResult,
  SyncEntry,
  SyncOp,
  SyncPath,
  SyncTree,
} from '../workspace/sync-tree/entry.js';
import { PackedTree } from '../workspace/sync-tree/packed-entry.js';
import type { Replica } from '../workspace/sync-tree/replica.js';
import { transfer } from './content-transfer.js';
import { decodeEntry, encodeEntry } from './entry-codec.js';
import { SyncIgnore } from './ignore-rules.js';
import { reconcile, type Conflict, type Halt, type PlannedOp, type Side } from './reconcile/reconcile.js';

export interface SyncPairDeps {
  hubId: string;
  project: string;
  /** berth's home: where the folder lock lives. */
  home: string;
  /** The host folder (for the folder lock shared with session apply). */
  hostPath: string;
  local: Replica;
  container: Replica;
  table: SyncTable;
  ignore: readonly string[];
  /** Clock for conflict-copy names (tests pin it). */
  now?: () => Date;
}

export interface CycleOptions {
  /**
   * Only these paths (and what is under them) may have changed: a watcher's hint. Both sides
   * are scanned there (and at the root's own entries) instead of everywhere.
   */
  paths?: SyncPath[];
  /** Lifts the mass-delete limit and the emptied-root halt for this cycle (after a halt someone checked). */
  allowDeletes?: boolean;
  /** Lines about long steps (scans, transfers), for `berth up` and `berth sync --once`. */
  onProgress?: (line: string) => void;
}

export interface MovedEntry {
  side: Side;
  path: SyncPath;
  op: SyncOp['op'];
}

export interface CycleReport {
  /** The pair had no ancestor (new, or a side was recreated): differences became conflicts. */
  firstSync: boolean;
  firstSyncReason?: string;
  toLocal: number;
  toContainer: number;
  /** What moved (the first 500). */
  moved: MovedEntry[];
  /** Conflicts found in this cycle (both versions kept). */
  conflicts: Conflict[];
  halt?: Halt;
  problems: { side: Side; path: SyncPath; reason: string }[];
  /** Changes not made because their side changed meanwhile, or their content did not arrive. */
  retry: { side: Side; path: SyncPath; reason: string }[];
  durationMs: number;
}

const REPORTED_MOVES = 500;

/**
 * One synced project: host folder and volume, and the ancestor between them. A cycle scans both
 * sides, reconciles the three trees, stages content where it is needed (verified by digest on
 * arrival), applies each side's changes (each one checked against what was scanned, right
 * before it), and only then advances the ancestor for the steps that were done on both sides.
 * A kill at any point leaves the ancestor at the last state both sides had, so the next cycle
 * redoes or finishes the work; nothing that was not seen is ever overwritten.
 */
export class SyncPair {
  /** Held packed (one short string per path): it lives as long as the pair. */
  private ancestor = new PackedTree();
  private generation = -1;
  /** The ancestor was (re)read from the store and not yet checked against the ignore rules. */
  private ancestorUnchecked = true;
  private running: Promise<unknown> = Promise.resolve();
  private readonly ignore: SyncIgnore;

  constructor(private readonly deps: SyncPairDeps) {
    this.ignore = new SyncIgnore(deps.ignore);
  }

  get project(): string {
    return this.deps.project;
  }

  /** One cycle, after any cycle already running in this process; cross-process by the folder lock. */
  cycle(options: CycleOptions = {}): Promise<CycleReport> {
    const next = this.running.then(
      () => this.lockedCycle(options),
      () => this.lockedCycle(options),
    );
    this.running = next.catch(() => undefined);
    return next;
  }

  /**
   * Cycles until one has nothing to retry (at most `maxCycles`): what `sync_from_local` and
   * `berth sync --once` wait for. Every cycle scans both sides after the call began, so once
   * one has carried all it found, whatever changed before the call has crossed; a change made
   * while it ran is the next cycle's (a watcher's, or the next barrier's). No confirming
   * cycle is run: on a first sync of 10,000 files it was a tenth of the time. Reports are merged.
   */
  async barrier(maxCycles = 5, options: CycleOptions = {}): Promise<CycleReport> {
    let total: CycleReport | undefined;
    for (let i = 0; i < maxCycles; i++) {
      const report = await this.cycle(options);
      total = total ? mergeReports(total, report) : report;
      if (report.halt) break;
      if (report.retry.length === 0) break;
    }
    return total!;
  }

  /** The ancestor as it stands (for status and resolve). */
  currentAncestor(): ReadonlySyncTree {
    this.reloadAncestor();
    return this.ancestor;
  }

  /** Records changes made outside a cycle (a resolved conflict) as agreed on both sides. */
  advance(changes: [SyncPath, SyncEntry | null][]): void {
    this.writeAncestor(changes);
    this.deps.table.updatePair(this.deps.hubId, this.deps.project, { cycleDone: true });
    this.generation++;
  }

  get ignoreRules(): readonly string[] {
    return this.deps.ignore;
  }

  /** Runs `fn` under this pair's serialisation and folder lock (resolve uses it). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.running.then(
      () => this.locked(fn),
      () => this.locked(fn),
    );
    this.running = next.catch(() => undefined);
    return next;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withFolderLock(this.deps.home, this.deps.hostPath, `sync of project ${this.deps.project}`, fn, {
      waitMs: 60_000,
    });
  }

  private lockedCycle(options: CycleOptions): Promise<CycleReport> {
    return this.locked(async () => {
      try {
        return await this.runCycle(options);
      } catch (err) {
        this.deps.table.updatePair(this.deps.hubId, this.deps.project, { lastError: describeError(err) });
        throw err;
      }
    });
  }

  private reloadAncestor(): void {
    const pair = this.deps.table.pair(this.deps.hubId, this.deps.project);
    const generation = pair?.cycles ?? 0;
    if (generation === this.generation) return;
    const ancestor = new PackedTree();
    for (const [path, text] of this.deps.table.ancestorRows(this.deps.hubId, this.deps.project))
      ancestor.set(path, decodeEntry(text, path));
    this.ancestor = ancestor;
    this.generation = generation;
    this.ancestorUnchecked = true;
  }

  private async runCycle(options: CycleOptions): Promise<CycleReport> {
    const started = Date.now();
    const { table, hubId, project, local, container } = this.deps;
    this.reloadAncestor();
    const identity = await this.checkIdentity();
    const progress = options.onProgress ?? (() => undefined);
    // a watcher's hint scans only what it names (both sides, so each side's change meets the
    // other side's current state); anything else is a full scan of both
    const scope =
      options.paths && options.paths.length > 0 && !identity.firstSync ? topmost(options.paths) : undefined;
    const scanOptions = { ignore: [...this.deps.ignore], ...(scope ? { paths: scope } : {}) };
    // the container's scan is asked for first: the host's own scan runs on this thread, and the
    // agent scans meanwhile instead of after it
    const containerScanning = container.scan(scanOptions);
    const [containerScan, localScan] = await Promise.all([containerScanning, local.scan(scanOptions)]);
    const localTree = this.filtered(localScan, scope);
    const containerTree = this.filtered(containerScan, scope);
    // a path that became ignored is forgotten, never deleted; one un-ignored is new again. Only
    // an ancestor read from the store can hold one (what a cycle adds came through the filter).
    if (this.ancestorUnchecked) {
      const dropped: [SyncPath, null][] = [];
      for (const [path, entry] of this.ancestor) {
        if (path !== '' && this.ignore.ignores(path, entry.kind === 'dir')) dropped.push([path, null]);
      }
      if (dropped.length) this.writeAncestor(dropped);
      this.ancestorUnchecked = false;
    }
    const stamp = stampOf((this.deps.now ?? (() => new Date()))());
    const plan = reconcile({
      ancestor: scope ? restrict(this.ancestor, scope) : this.ancestor,
      local: localTree,
      container: containerTree,
      localRoot: localScan.root,
      containerRoot: containerScan.root,
      localProblems: localScan.problems,
      containerProblems: containerScan.problems,
      stamp,
      // a scoped cycle's limit comes from the whole ancestor, not the part it looked at
      ...(options.allowDeletes ? { allowEmptiedRoot: true } : {}),
      massDeleteLimit: options.allowDeletes
        ? Number.MAX_SAFE_INTEGER
        : Math.max(1000, Math.ceil(this.ancestor.size * 0.1)),
    });
    const report: CycleReport = {
      firstSync: identity.firstSync,
      ...(identity.reason ? { firstSyncReason: identity.reason } : {}),
      toLocal: 0,
      toContainer: 0,
      moved: [],
      conflicts: [],
      problems: [
        ...localScan.problems.map((p) => ({ side: 'local' as const, ...p })),
        ...containerScan.problems.map((p) => ({ side: 'container' as const, ...p })),
      ],
      retry: [],
      durationMs: 0,
    };
    if (plan.halt) {
      report.halt = plan.halt;
      table.updatePair(hubId, project, {
        halt: JSON.stringify(plan.halt),
        lastCycleAt: new Date().toISOString(),
      });
      report.durationMs = Date.now() - started;
      return report;
    }
    const sides: Record<Side, { ops: PlannedOp[] }> = { local: { ops: [] }, container: { ops: [] } };
    for (const step of plan.steps) for (const op of step.ops) sides[op.side].ops.push(op);
    if (plan.steps.length > 0) {
      const bytes = (ops: PlannedOp[]) =>
        ops.reduce((n, o) => n + (o.op.op === 'put' ? o.op.entry.size : 0), 0) / 1024 / 1024;
      progress(
        `${sides.container.ops.length} change(s) for the container (${bytes(sides.container.ops).toFixed(1)} MiB), ` +
          `${sides.local.ops.length} for the host (${bytes(sides.local.ops).toFixed(1)} MiB)` +
          (plan.conflicts.length ? `, ${plan.conflicts.length} conflict(s) (both versions kept)` : ''),
      );
    }
    try {
      const [localResults, containerResults] = await this.carry(sides, localTree, containerTree, progress);
      const results = new Map<PlannedOp, OpResult>();
      sides.local.ops.forEach((o, i) => results.set(o, localResults[i]!));
      sides.container.ops.forEach((o, i) => results.set(o, containerResults[i]!));
      const changes: [SyncPath, SyncEntry | null][] = [];
      const done = new Set<SyncPath>();
      for (const step of plan.steps) {
        const outcomes = step.ops.map((o) => results.get(o));
        const allOk = outcomes.every((r) => r?.ok === true);
        step.ops.forEach((o, i) => {
          const r = outcomes[i];
          if (r?.ok) {
            if (o.side === 'local') report.toLocal++;
            else report.toContainer++;
            if (report.moved.length < REPORTED_MOVES)
              report.moved.push({ side: o.side, path: o.op.path, op: o.op.op });
          } else if (r) {
            report.retry.push({
              side: o.side,
              path: o.op.path,
              reason: r.reason === 'error' ? r.detail : r.reason,
            });
          }
        });
        if (!allOk) continue;
        for (const update of step.ancestor) {
          changes.push([update.path, update.entry]);
          done.add(update.path);
        }
      }
      this.writeAncestor(changes);
      for (const conflict of plan.conflicts) {
        if (!done.has(conflict.copy)) continue;
        report.conflicts.push(conflict);
        table.addConflict(hubId, project, {
          path: conflict.path,
          copy: conflict.copy,
          local: conflict.local ? encodeEntry(conflict.local) : null,
          container: conflict.container ? encodeEntry(conflict.container) : null,
        });
      }
    } finally {
      await Promise.allSettled([local.clearStage(), container.clearStage()]);
    }
    report.durationMs = Date.now() - started;
    table.updatePair(hubId, project, {
      halt: null,
      lastError: null,
      lastCycleAt: new Date().toISOString(),
      cycleDone: true,
    });
    this.generation++;
    table.recordCycle(hubId, project, {
      toLocal: report.toLocal,
      toContainer: report.toContainer,
      durationMs: report.durationMs,
    });
    return report;
  }

  /**
   * Stages the content each side's puts need (both sides at once), then applies each side's
   * ops: everything is staged before anything is applied, so a conflict's losing version is
   * read from where it was scanned before one side's own ops move it. (Staging the next slice
   * while one applies was tried: a first sync of 10,000 files was 5 % slower, the agent being
   * busy on its one thread either way.) One result per op of each side, in order.
   */
  private async carry(
    sides: Record<Side, { ops: PlannedOp[] }>,
    localTree: SyncTree,
    containerTree: SyncTree,
    progress: (line: string) => void,
  ): Promise<[OpResult[], OpResult[]]> {
    const { local, container } = this.deps;
    await Promise.all([
      transfer(local, container, sides.container.ops, localTree),
      transfer(container, local, sides.local.ops, containerTree),
    ]);
    if (sides.local.ops.length + sides.container.ops.length > 0)
      progress('content staged and verified; applying the changes');
    return Promise.all([
      local.apply(sides.local.ops.map((o) => o.op)),
      container.apply(sides.container.ops.map((o) => o.op)),
    ]);
  }

  /**
   * Replica identity (rule 6): a side whose marker is not the one recorded was recreated (a new
   * volume, a restored folder), so the ancestor no longer describes it: it is dropped, and this
   * cycle is a first sync, where differences are conflicts and nothing is deleted.
   */
  private async checkIdentity(): Promise<{ firstSync: boolean; reason?: string }> {
    const { table, hubId, project } = this.deps;
    const [localId, containerId] = await Promise.all([
      this.deps.local.identity(),
      this.deps.container.identity(),
    ]);
    const pair = table.pair(hubId, project);
    const reasons: string[] = [];
    if (pair?.localMarker && pair.localMarker !== localId.marker)
      reasons.push('the host folder is not the one synced before');
    if (pair?.containerMarker && pair.containerMarker !== containerId.marker)
      reasons.push("the container's volume was recreated");
    if (reasons.length > 0) {
      table.clearAncestor(hubId, project);
      this.ancestor = new PackedTree();
    }
    if (pair?.localMarker !== localId.marker || pair?.containerMarker !== containerId.marker)
      table.updatePair(hubId, project, { localMarker: localId.marker, containerMarker: containerId.marker });
    const firstSync = this.ancestor.size === 0;
    return reasons.length > 0 ? { firstSync, reason: reasons.join('; ') } : { firstSync };
  }

  /** A side's tree as this host judges it: ignored paths out (whatever the side said). */
  private filtered(scan: ScanResult, scope: readonly SyncPath[] | undefined): SyncTree {
    const tree: SyncTree = new Map();
    const test = scope ? scopeTest(scope) : undefined;
    for (const [path, entry] of scan.entries) {
      if (test && !test(path)) continue;
      if (!this.ignore.ignores(path, entry.kind === 'dir')) tree.set(path, entry);
    }
    return tree;
  }

  private writeAncestor(changes: [SyncPath, SyncEntry | null][]): void {
    if (changes.length === 0) return;
    this.deps.table.writeAncestor(this.deps.hubId, this.deps.project, encoded(changes));
    for (const [path, entry] of changes) {
      if (entry) this.ancestor.set(path, entry);
      else this.ancestor.delete(path);
    }
  }
}

/** The scope without paths already under another one in it. */
function topmost(paths: readonly SyncPath[]): SyncPath[] {
  const sorted = [...new Set(paths)].sort();
  const out: SyncPath[] = [];
  for (const path of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && (path === last || path.startsWith(`${last}/`))) continue;
    out.push(path);
  }
  return out;
}

/**
 * What a scoped scan can speak for: the root, its own entries, the folders on the way to a
 * scoped path, and everything at or under one. The rest of the ancestor stays out of the
 * reconcile, so it is neither compared nor taken as deleted.
 */
export function inScope(path: SyncPath, scope: readonly SyncPath[]): boolean {
  return scopeTest(scope)(path);
}

/**
 * `inScope` for one scope and many paths: sets of the scoped paths and of the folders on the
 * way to them, so each path costs its depth, not the scope's size (a 5,000-path hint against a
 * 40,000-entry ancestor is 40,000 short look-ups, not 200 million comparisons).
 */
export function scopeTest(scope: readonly SyncPath[]): (path: SyncPath) => boolean {
  const roots = new Set(scope);
  const onTheWay = new Set<SyncPath>();
  for (const root of scope) {
    for (let at = root.indexOf('/'); at > 0; at = root.indexOf('/', at + 1)) onTheWay.add(root.slice(0, at));
  }
  return (path) => {
    if (path === '' || !path.includes('/')) return true;
    if (roots.has(path) || onTheWay.has(path)) return true;
    for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) {
      if (roots.has(path.slice(0, at))) return true;
    }
    return false;
  };
}

/** Each change with its entry as the table keeps it, encoded as the write takes it (not all at once). */
function* encoded(changes: [SyncPath, SyncEntry | null][]): Generator<[SyncPath, string | null]> {
  for (const [path, entry] of changes) yield [path, entry ? encodeEntry(entry) : null];
}

function restrict(tree: ReadonlySyncTree, scope: readonly SyncPath[]): SyncTree {
  const test = scopeTest(scope);
  const out: SyncTree = new Map();
  for (const [path, entry] of tree) if (test(path)) out.set(path, entry);
  return out;
}

function mergeReports(a: CycleReport, b: CycleReport): CycleReport {
  return {
    firstSync: a.firstSync || b.firstSync,
    ...(a.firstSyncReason || b.firstSyncReason
      ? { firstSyncReason: a.firstSyncReason ?? b.firstSyncReason }
      : {}),
    toLocal: a.toLocal + b.toLocal,
    toContainer: a.toContainer + b.toContainer,
    moved: [...a.moved, ...b.moved].slice(0, REPORTED_MOVES),
    conflicts: [...a.conflicts, ...b.conflicts],
    ...(b.halt ? { halt: b.halt } : {}),
    problems: b.problems,
    retry: b.retry,
    durationMs: a.durationMs + b.durationMs,
  };
}

/** `20261201T190512Z`: sortable, and safe in a file name. */
export function stampOf(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
