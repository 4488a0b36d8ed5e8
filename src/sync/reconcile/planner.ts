import type { DirEntry, SyncEntry, SyncPath } from '../../workspace/sync-tree/entry.js';
import { conflictCopyName } from './conflict-name.js';
import { entriesEqual } from './entries-equal.js';
import {
  chmodOp,
  createOp,
  createdEntry,
  dirFinishOp,
  locksOwnerOut,
  moveOp,
  otherSide,
  removeOp,
} from './plan-ops.js';
import { byteOrder, rebase } from './sync-paths.js';
import { sameSubtree, type TreeView } from './tree-view.js';
import type { AncestorUpdate, Conflict, PlannedOp, PlanStep, Side } from './types.js';

export interface PlannerInput {
  ancestor: TreeView;
  local: TreeView;
  container: TreeView;
  /** Paths a scan could not judge, on either side: they and all below them are left alone. */
  problems: ReadonlySet<SyncPath>;
  /** The proper ancestors of problem paths: never removed, moved or replaced. */
  shielded: ReadonlySet<SyncPath>;
  /** Whether a path is known to either side or the ancestor, or is a copy chosen before: no copy lands on one. */
  taken: { has(path: SyncPath): boolean; add(path: SyncPath): void };
  stamp: string;
}

/**
 * The three-way walk: one decision per path, parents before children, over the union of the
 * three trees. Steps that create come before their children's steps, steps that remove after
 * them.
 */
export class Planner {
  private readonly steps: PlanStep[] = [];
  private readonly agreed: AncestorUpdate[] = [];
  readonly conflicts: Conflict[] = [];
  readonly skipped = new Set<SyncPath>();

  constructor(private readonly input: PlannerInput) {}

  /** The plan's steps: agreements (no ops) first, then the changes in walk order. */
  result(orphans: SyncPath[]): PlanStep[] {
    const agreed = [...this.agreed, ...orphans.map((path) => ({ path, entry: null }))];
    return agreed.length > 0 ? [{ ops: [], ancestor: agreed }, ...this.steps] : this.steps;
  }

  visit(path: SyncPath): void {
    if (this.input.problems.has(path)) return this.skip(path);
    const a = this.input.ancestor.get(path);
    const l = this.input.local.get(path);
    const c = this.input.container.get(path);
    if (entriesEqual(l, c)) {
      if (!entriesEqual(a, l)) this.agreed.push({ path, entry: l ?? null });
      this.visitChildren(path);
      return;
    }
    if (l?.kind === 'dir' && c?.kind === 'dir') return this.dirModes(path, a, l, c);
    if (l === undefined) return this.oneSideAbsent(path, 'local', c as SyncEntry, a);
    if (c === undefined) return this.oneSideAbsent(path, 'container', l, a);
    // both present, different, not both dirs
    if (this.input.shielded.has(path)) return this.skip(path);
    if (sameSubtree(this.input.local, this.input.ancestor, path)) return this.replace(path, 'local', c);
    if (sameSubtree(this.input.container, this.input.ancestor, path))
      return this.replace(path, 'container', l);
    return this.conflict(path, l, c);
  }

  private view(side: Side): TreeView {
    return side === 'local' ? this.input.local : this.input.container;
  }

  private push(step: PlanStep): void {
    this.steps.push(step);
  }

  /** The children of a path in any of the three trees, in byte order. */
  private childrenOf(path: SyncPath): readonly SyncPath[] {
    const { ancestor, local, container } = this.input;
    return mergeSorted(mergeSorted(ancestor.children(path), local.children(path)), container.children(path));
  }

  private visitChildren(path: SyncPath): void {
    for (const child of this.childrenOf(path)) this.visit(child);
  }

  /** Left alone: no ops, no ancestor change, for the path and everything below it. */
  private skip(path: SyncPath): void {
    const walk = (at: SyncPath): void => {
      this.skipped.add(at);
      for (const child of this.childrenOf(at)) walk(child);
    };
    walk(path);
  }

  /**
   * Dirs on both sides with different modes. Only one side changed: its mode goes over. Both
   * changed (or no ancestor): the container's mode wins, as a conflict's container version does;
   * a mode is no content, so no copy is made.
   */
  private dirModes(path: SyncPath, a: SyncEntry | undefined, l: DirEntry, c: DirEntry): void {
    const localChanged = a?.kind === 'dir' && a.mode === c.mode;
    const side: Side = localChanged ? 'container' : 'local';
    const mode = localChanged ? l.mode : c.mode;
    const step: PlanStep = {
      ops: [chmodOp(side, path, localChanged ? c : l, mode)],
      ancestor: [{ path, entry: { kind: 'dir', mode } }],
    };
    // a mode that shuts the owner out is set once the dir's contents are in place
    if (locksOwnerOut(mode)) {
      this.visitChildren(path);
      this.push(step);
    } else {
      this.push(step);
      this.visitChildren(path);
    }
  }

  /** `absentOn` has nothing at the path; the other side has `present`. */
  private oneSideAbsent(path: SyncPath, absentOn: Side, present: SyncEntry, a: SyncEntry | undefined): void {
    const presentOn = otherSide(absentOn);
    if (a !== undefined) {
      if (a.kind === 'dir' && present.kind === 'dir') return this.dirAgainstAbsent(path, absentOn, present);
      if (entriesEqual(present, a)) {
        // deleted on one side, untouched on the other: the deletion goes over
        if (this.input.shielded.has(path)) return this.skip(path);
        this.push({ ops: [removeOp(presentOn, path, present)], ancestor: [{ path, entry: null }] });
        this.visitChildren(path);
        return;
      }
    }
    // created on one side, or changed there while the other deleted it: the change wins
    this.create(path, absentOn, present, null, []);
  }

  /**
   * A dir the ancestor had, deleted on `absentOn`, still a dir on the other side. Left as the
   * ancestor had it (mode and everything below): the deletion goes over, children first.
   * Changed anywhere below: the change wins over the deletion, and the whole dir comes back on
   * the deleting side (as Mutagen does), rather than a dir with holes where the old files were.
   * With a problem below, nobody can tell: nothing is done until a scan can.
   */
  private dirAgainstAbsent(path: SyncPath, absentOn: Side, present: DirEntry): void {
    const presentOn = otherSide(absentOn);
    if (this.input.shielded.has(path)) return this.skip(path);
    if (sameSubtree(this.view(presentOn), this.input.ancestor, path)) {
      this.visitChildren(path);
      this.push({ ops: [removeOp(presentOn, path, present)], ancestor: [{ path, entry: null }] });
      return;
    }
    this.recreate(path, absentOn, this.view(presentOn));
  }

  /**
   * Copies `source`'s subtree at the path to `side`, which has nothing there, whatever the
   * ancestor says; what the ancestor had below that `source` no longer has is gone on both sides.
   * Only for a path no problem lies below (the caller checked `shielded`).
   */
  private recreate(path: SyncPath, side: Side, source: TreeView): void {
    const entry = source.get(path) as SyncEntry;
    this.push({
      ops: [createOp(side, path, entry, null, path)],
      ancestor: [{ path, entry: createdEntry(entry) }],
    });
    for (const child of this.childrenOf(path)) {
      if (source.get(child) !== undefined) this.recreate(child, side, source);
      else this.visit(child);
    }
    if (entry.kind === 'dir') this.finishDir(path, side, entry);
  }

  /**
   * Places `entry` at the path on `side` (after `before`, which clears the way), then whatever
   * is below it; the ancestor follows each step.
   */
  private create(
    path: SyncPath,
    side: Side,
    entry: SyncEntry,
    expect: SyncEntry | null,
    before: PlannedOp[],
  ): void {
    this.push({
      ops: [...before, createOp(side, path, entry, expect, path)],
      ancestor: [{ path, entry: createdEntry(entry) }],
    });
    this.visitChildren(path);
    if (entry.kind === 'dir') this.finishDir(path, side, entry);
  }

  private finishDir(path: SyncPath, side: Side, entry: DirEntry): void {
    const finish = dirFinishOp(side, path, entry);
    if (finish) this.push({ ops: [finish], ancestor: [{ path, entry }] });
  }

  /**
   * `loser` left the path (and all below it) as the ancestor had it; the other side changed it
   * to `winner`, which replaces it. A dir that goes is emptied first, by its children's steps.
   */
  private replace(path: SyncPath, loser: Side, winner: SyncEntry): void {
    const old = this.view(loser).get(path) as SyncEntry;
    if (old.kind === 'dir') {
      this.visitChildren(path);
      this.push({
        ops: [removeOp(loser, path, old), createOp(loser, path, winner, null, path)],
        ancestor: [{ path, entry: winner }],
      });
    } else if (winner.kind === 'dir') {
      this.create(path, loser, winner, null, [removeOp(loser, path, old)]);
    } else if (old.kind === 'file' && winner.kind === 'file' && old.digest === winner.digest) {
      this.push({ ops: [chmodOp(loser, path, old, winner.mode)], ancestor: [{ path, entry: winner }] });
      this.visitChildren(path);
    } else {
      this.create(path, loser, winner, old, []);
    }
  }

  /**
   * Both sides changed the path differently. The container's version stays in place on both
   * sides; the local version moves aside to a conflict copy on the local side and is placed
   * there on the container side too, read from that copy. One step, so the ancestor follows
   * only when all of it ran.
   */
  private conflict(path: SyncPath, l: SyncEntry, c: SyncEntry): void {
    const { ancestor, local, container, taken, stamp } = this.input;
    const copy = conflictCopyName(path, 'local', stamp, (p) => taken.has(p));
    taken.add(copy);
    const ops: PlannedOp[] = [moveOp('local', path, l, copy)];
    const updates: AncestorUpdate[] = [];
    for (const old of ancestor.subtree(path)) {
      if (container.get(old) === undefined) updates.push({ path: old, entry: null });
    }
    placeSubtree(ops, updates, 'local', container, path, path);
    placeSubtree(ops, updates, 'container', local, path, copy);
    this.push({ ops, ancestor: updates });
    this.conflicts.push({ path, local: l, container: c, copy });
  }
}

/** Two sorted lists of distinct paths as one (a merge: most dirs list the same children thrice). */
function mergeSorted(a: readonly SyncPath[], b: readonly SyncPath[]): readonly SyncPath[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: SyncPath[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as SyncPath;
    const y = b[j] as SyncPath;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (byteOrder(x, y) < 0) {
      out.push(x);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  for (; i < a.length; i++) out.push(a[i] as SyncPath);
  for (; j < b.length; j++) out.push(b[j] as SyncPath);
  return out;
}

/**
 * The ops (parents first, restrictive dir modes last) that build `source`'s subtree at `from`
 * on `side` at `to`; each file's content is read from the same place on the other side.
 */
function placeSubtree(
  ops: PlannedOp[],
  updates: AncestorUpdate[],
  side: Side,
  source: TreeView,
  from: SyncPath,
  to: SyncPath,
): void {
  const walk = (at: SyncPath): void => {
    const entry = source.get(at) as SyncEntry;
    const target = rebase(at, from, to);
    ops.push(createOp(side, target, entry, null, target));
    updates.push({ path: target, entry });
    for (const child of source.children(at)) walk(child);
    if (entry.kind === 'dir') {
      const finish = dirFinishOp(side, target, entry);
      if (finish) ops.push(finish);
    }
  };
  walk(from);
}
