import type { ReadonlySyncTree, ScanProblem } from '../../workspace/sync-tree/entry.js';
import type { Halt, PlanStep, ReconcileInput, Side } from './types.js';

/** The smallest mass-delete threshold: a cycle may always remove this many entries per side. */
export const MASS_DELETE_FLOOR = 1000;
/** Above the floor, a cycle may remove up to this share of the ancestor's entries per side. */
export const MASS_DELETE_SHARE = 0.1;

/**
 * Halts judged from the roots alone, before any planning: a root that is gone, is no longer a
 * folder, or was emptied looks like an accident (an unmounted volume, `rm -rf`, a failed
 * mount) far more often than an edit, and propagating it would delete the other side.
 */
export function rootHalt(input: ReconcileInput): Halt | undefined {
  const sides: {
    side: Side;
    root: ReconcileInput['localRoot'];
    tree: ReadonlySyncTree;
    problems: ScanProblem[];
  }[] = [
    { side: 'local', root: input.localRoot, tree: input.local, problems: input.localProblems },
    {
      side: 'container',
      root: input.containerRoot,
      tree: input.container,
      problems: input.containerProblems,
    },
  ];
  for (const { side, root } of sides) {
    if (root === 'not-a-dir') {
      return { reason: 'root-type-changed', side, detail: `the ${side} sync root is no longer a folder` };
    }
  }
  if (input.ancestor.get('')?.kind === 'dir') {
    for (const { side, root } of sides) {
      if (root === 'missing') {
        return {
          reason: 'root-deleted',
          side,
          detail: `the ${side} sync root is gone (it was synced before)`,
        };
      }
    }
  }
  const before = topLevelCount(input.ancestor, [], Infinity);
  if (before >= 2 && !input.allowEmptiedRoot) {
    const emptied = sides.filter(({ tree, problems }) => topLevelCount(tree, problems, 1) === 0);
    const [only] = emptied;
    if (emptied.length === 1 && only) {
      return {
        reason: 'root-emptied',
        side: only.side,
        detail: `the ${only.side} sync root is empty; it held ${before} entries at the last sync`,
      };
    }
  }
  return undefined;
}

/**
 * Entries directly below the root, counted up to `enough`. A problem there (or at the root)
 * counts as one: a listing that failed is not an empty one.
 */
function topLevelCount(tree: ReadonlySyncTree, problems: ScanProblem[], enough: number): number {
  let count = 0;
  for (const problem of problems) if (!problem.path.includes('/')) count++;
  for (const path of tree.keys()) {
    if (count >= enough) break;
    if (path !== '' && !path.includes('/')) count++;
  }
  return count;
}

/** The most removes one side may get in a cycle. */
export function massDeleteLimit(input: ReconcileInput): number {
  return (
    input.massDeleteLimit ?? Math.max(MASS_DELETE_FLOOR, Math.ceil(MASS_DELETE_SHARE * input.ancestor.size))
  );
}

/** A plan that would remove more than `limit` entries on one side halts instead. */
export function massDeleteHalt(steps: PlanStep[], limit: number): Halt | undefined {
  const removes: Record<Side, number> = { local: 0, container: 0 };
  for (const step of steps) for (const { side, op } of step.ops) if (op.op === 'remove') removes[side]++;
  const side: Side = removes.local >= removes.container ? 'local' : 'container';
  if (removes[side] <= limit) return undefined;
  return {
    reason: 'mass-delete',
    side,
    detail: `the cycle would remove ${removes[side]} entries on the ${side} side, more than the limit of ${limit}`,
  };
}
