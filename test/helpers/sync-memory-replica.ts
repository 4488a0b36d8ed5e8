import { entriesEqual } from '../../src/sync/reconcile/reconcile.js';
import type { ReconcilePlan, Side } from '../../src/sync/reconcile/reconcile.js';
import type { OpResult, SyncEntry, SyncOp, SyncPath, SyncTree } from '../../src/workspace/sync-tree/entry.js';

/**
 * An in-memory replica for tests of sync logic: a SyncTree that takes SyncOps with the same
 * preconditions the real replicas enforce (each op's `expect` must match what is there, a
 * parent must be a dir, a dir is removed only when empty, a move's target must be free, a dir
 * is never replaced in place). Content is the digest: a put always has its content.
 */

function parentOf(path: SyncPath): SyncPath {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function below(tree: SyncTree, path: SyncPath): SyncPath[] {
  const prefix = path === '' ? '' : `${path}/`;
  return [...tree.keys()].filter((p) => p !== path && p.startsWith(prefix));
}

function fail(reason: 'changed' | 'error', detail: string): OpResult {
  return { ok: false, reason, detail };
}

/** Runs one op on the tree (changing it only when the op succeeds). */
export function applyOp(tree: SyncTree, op: SyncOp): OpResult {
  const here = tree.get(op.path);
  if (!entriesEqual(here, op.expect)) {
    return fail(
      'changed',
      `${op.op} ${JSON.stringify(op.path)}: expected ${JSON.stringify(op.expect)}, found ${JSON.stringify(here ?? null)}`,
    );
  }
  const parentIsDir = (path: SyncPath): boolean => path === '' || tree.get(parentOf(path))?.kind === 'dir';
  switch (op.op) {
    case 'put':
    case 'symlink':
    case 'mkdir': {
      if (here?.kind === 'dir')
        return fail('error', `${op.op} ${JSON.stringify(op.path)}: would replace a folder`);
      if (op.op === 'mkdir' && here !== undefined)
        return fail('error', `mkdir ${JSON.stringify(op.path)}: not free`);
      if (!parentIsDir(op.path))
        return fail('error', `${op.op} ${JSON.stringify(op.path)}: no parent folder`);
      const entry: SyncEntry =
        op.op === 'put'
          ? { ...op.entry }
          : op.op === 'mkdir'
            ? { kind: 'dir', mode: op.mode }
            : { kind: 'link', target: op.target };
      tree.set(op.path, entry);
      return { ok: true, entry };
    }
    case 'chmod': {
      const entry = { ...op.expect, mode: op.mode };
      tree.set(op.path, entry);
      return { ok: true, entry };
    }
    case 'remove': {
      if (op.path === '') return fail('error', 'remove: not the root');
      if (below(tree, op.path).length > 0)
        return fail('error', `remove ${JSON.stringify(op.path)}: folder not empty`);
      tree.delete(op.path);
      return { ok: true, entry: null };
    }
    case 'move': {
      if (op.path === '') return fail('error', 'move: not the root');
      if (tree.has(op.to)) return fail('error', `move to ${JSON.stringify(op.to)}: not free`);
      if (!parentIsDir(op.to)) return fail('error', `move to ${JSON.stringify(op.to)}: no parent folder`);
      for (const path of [op.path, ...below(tree, op.path)]) {
        const entry = tree.get(path) as SyncEntry;
        tree.delete(path);
        tree.set(op.to + path.slice(op.path.length), entry);
      }
      return { ok: true, entry: null };
    }
  }
}

/** Runs ops in order, one result each; a failed op changes nothing and later ops still run. */
export function applyOps(tree: SyncTree, ops: SyncOp[]): OpResult[] {
  return ops.map((op) => applyOp(tree, op));
}

export interface MemoryPair {
  local: SyncTree;
  container: SyncTree;
  ancestor: SyncTree;
}

export interface PlanRun {
  /** Per step: whether every op in it succeeded (and so its ancestor updates were applied). */
  stepsOk: boolean[];
  /** The failed ops' results, for messages. */
  failures: { side: Side; op: SyncOp; result: OpResult }[];
}

/**
 * Runs a plan step by step on both trees (each side's ops in plan order), advancing the
 * ancestor only for steps whose ops all succeeded. `interfere` may refuse an op (returning a
 * reason) to stand for a fault or a change made meanwhile: the op is then not run.
 */
export function applyPlan(
  plan: ReconcilePlan,
  pair: MemoryPair,
  interfere?: (side: Side, op: SyncOp) => string | undefined,
): PlanRun {
  const run: PlanRun = { stepsOk: [], failures: [] };
  for (const step of plan.steps) {
    let ok = true;
    for (const { side, op } of step.ops) {
      const refused = interfere?.(side, op);
      const result: OpResult = refused ? fail('error', refused) : applyOp(pair[side], op);
      if (!result.ok) {
        ok = false;
        run.failures.push({ side, op, result });
      }
    }
    if (ok) {
      for (const { path, entry } of step.ancestor) {
        if (entry === null) pair.ancestor.delete(path);
        else pair.ancestor.set(path, entry);
      }
    }
    run.stepsOk.push(ok);
  }
  return run;
}

/** Two trees hold the same paths with equal entries. */
export function treesEqual(a: SyncTree, b: SyncTree): boolean {
  if (a.size !== b.size) return false;
  for (const [path, entry] of a) if (!entriesEqual(entry, b.get(path))) return false;
  return true;
}

/** The first difference between two trees, for a failure message (undefined when equal). */
export function treeDifference(a: SyncTree, b: SyncTree): string | undefined {
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const path of paths) {
    if (!entriesEqual(a.get(path), b.get(path))) {
      return `${JSON.stringify(path)}: ${JSON.stringify(a.get(path) ?? null)} vs ${JSON.stringify(b.get(path) ?? null)}`;
    }
  }
  return undefined;
}
