import { BerthError } from '../../errors.js';
import type { ReadonlySyncTree, SyncPath } from '../../workspace/sync-tree/entry.js';
import { checkStamp } from './conflict-name.js';
import { entriesEqual } from './entries-equal.js';
import { Planner } from './planner.js';
import { massDeleteHalt, massDeleteLimit, rootHalt } from './safety.js';
import { ancestorsOf, byteOrder } from './sync-paths.js';
import { TreeView } from './tree-view.js';
import type { ReconcileInput, ReconcilePlan, Side } from './types.js';

export { conflictCopyName } from './conflict-name.js';
export { entriesEqual } from './entries-equal.js';
export type * from './types.js';

/**
 * The three-way reconciliation of one cycle: from the ancestor (what both sides last agreed on)
 * and both sides' scans, the ops that bring the sides together without losing a version. Pure:
 * no I/O, the same input gives the same plan.
 *
 * Per path: agreement needs nothing; a change on one side goes to the other (a deletion only
 * with positive evidence: the ancestor had it and the other side left it untouched); a deletion
 * against a change keeps the change; two different changes are a conflict, the container's
 * version in place and the local one kept beside it. Problems shield what they cover; a root
 * that vanished, changed type or was emptied, or a cycle that would remove too much, halts the
 * pair (no steps at all).
 */
export function reconcile(input: ReconcileInput): ReconcilePlan {
  checkStamp(input.stamp);
  checkRoot('local', input.localRoot, input.local);
  checkRoot('container', input.containerRoot, input.container);
  const rootStop = rootHalt(input);
  if (rootStop) return { steps: [], conflicts: [], halt: rootStop, skipped: [] };
  if (allAgree(input)) return { steps: [], conflicts: [], skipped: [] };

  const problems = new Set<SyncPath>([...input.localProblems, ...input.containerProblems].map((p) => p.path));
  const shielded = new Set<SyncPath>();
  for (const path of problems) for (const above of ancestorsOf(path)) shielded.add(above);
  const copies = new Set<SyncPath>();
  const taken = {
    has: (path: SyncPath): boolean =>
      input.ancestor.has(path) ||
      input.local.has(path) ||
      input.container.has(path) ||
      problems.has(path) ||
      copies.has(path),
    add: (path: SyncPath): void => void copies.add(path),
  };

  const ancestor = TreeView.of(input.ancestor);
  const planner = new Planner({
    ancestor,
    local: TreeView.of(input.local),
    container: TreeView.of(input.container),
    problems,
    shielded,
    taken,
    stamp: input.stamp,
  });
  planner.visit('');
  // ancestor entries the walk cannot reach (below a non-dir, or without a root) describe nothing
  const covered = (path: SyncPath): boolean => [path, ...ancestorsOf(path)].some((at) => problems.has(at));
  const steps = planner.result(ancestor.unreachable(input.ancestor).filter((path) => !covered(path)));

  const massStop = massDeleteHalt(steps, massDeleteLimit(input));
  if (massStop) return { steps: [], conflicts: [], halt: massStop, skipped: [] };
  const skipped = [...new Set([...planner.skipped, ...problems])].sort(byteOrder);
  return { steps, conflicts: planner.conflicts, skipped };
}

/**
 * Both sides hold exactly the ancestor and neither has a problem: nothing to do (most cycles
 * of a quiet tree), found without building the walk.
 */
function allAgree(input: ReconcileInput): boolean {
  const { ancestor, local, container } = input;
  if (input.localProblems.length > 0 || input.containerProblems.length > 0) return false;
  if (local.size !== ancestor.size || container.size !== ancestor.size) return false;
  for (const [path, entry] of ancestor) {
    if (!entriesEqual(entry, local.get(path)) || !entriesEqual(entry, container.get(path))) return false;
  }
  return true;
}

/** A scan's tree must agree with what it says about its root. */
function checkRoot(side: Side, root: ReconcileInput['localRoot'], tree: ReadonlySyncTree): void {
  const entry = tree.get('');
  if (root === 'dir' ? entry?.kind !== 'dir' : entry !== undefined) {
    throw new BerthError(
      'INVALID_ARGUMENT',
      `The ${side} scan says its root is ${root === 'dir' ? 'a folder' : root} but its entries ${
        entry === undefined ? 'lack the root' : `hold the root as a ${entry.kind}`
      }.`,
      { side, root },
    );
  }
}
