import { BerthError } from '../errors.js';
import type { SyncTable } from '../store/sync-table.js';
import type {
  OpResult,
  ReadonlySyncTree,
  SyncEntry,
  SyncOp,
  SyncPath,
} from '../workspace/sync-tree/entry.js';
import type { Replica } from '../workspace/sync-tree/replica.js';
import type { SyncPair } from './sync-pair.js';

export type Keep = 'local' | 'container' | 'both';

export interface ResolveReport {
  path: SyncPath;
  copy: SyncPath;
  keep: Keep;
  /** What went to each side's attic (the version not kept stays there, recoverable). */
  removed: { side: 'local' | 'container'; path: SyncPath }[];
}

export interface ResolveInput {
  pair: SyncPair;
  table: SyncTable;
  hubId: string;
  project: string;
  local: Replica;
  container: Replica;
  /** The conflict's path, or its copy's. */
  path: SyncPath;
  keep: Keep;
}

/**
 * Ends a conflict. `container` keeps the version in place and removes the copy; `local` puts the
 * copy (the host's version) back in place; `both` keeps both files. Whatever is removed goes to
 * each side's attic, so a resolution can itself be undone by hand. Both sides are brought in
 * sync first, so the change is made where both sides agree, each op checked as always.
 */
export async function resolveConflict(input: ResolveInput): Promise<ResolveReport> {
  const { table, hubId, project, pair } = input;
  const conflict = table
    .conflicts(hubId, project)
    .find((c) => c.path === input.path || c.copy === input.path);
  if (!conflict) {
    const open = table.conflicts(hubId, project).map((c) => show(c.path));
    throw new BerthError(
      'NOT_FOUND',
      `project "${project}" has no open conflict at ${show(input.path)}` +
        (open.length ? `; open conflicts: ${open.slice(0, 20).join(', ')}` : '; it has no open conflicts'),
    );
  }
  const report: ResolveReport = { path: conflict.path, copy: conflict.copy, keep: input.keep, removed: [] };
  if (input.keep === 'both') {
    table.resolveConflict(conflict.id, 'both');
    return report;
  }
  await pair.barrier();
  await pair.exclusive(async () => {
    const ignore = { ignore: [...pair.ignoreRules] };
    const [localScan, containerScan] = await Promise.all([
      input.local.scan(ignore),
      input.container.scan(ignore),
    ]);
    const plan = (tree: ReadonlySyncTree) =>
      input.keep === 'container'
        ? removeSubtree(tree, conflict.copy)
        : [...removeSubtree(tree, conflict.path), ...moveTo(tree, conflict.copy, conflict.path)];
    const localOps = plan(localScan.entries);
    const containerOps = plan(containerScan.entries);
    const [l, c] = await Promise.all([input.local.apply(localOps), input.container.apply(containerOps)]);
    const failed = [...l, ...c].find((r): r is Extract<OpResult, { ok: false }> => !r.ok);
    if (failed) {
      throw new BerthError(
        'SYNC_HALTED',
        `resolving ${show(conflict.path)} stopped: a side changed meanwhile (${failed.reason}${failed.reason === 'error' ? `: ${failed.detail}` : ''}); nothing was lost, run it again`,
      );
    }
    for (const op of localOps) if (op.op === 'remove') report.removed.push({ side: 'local', path: op.path });
    for (const op of containerOps)
      if (op.op === 'remove') report.removed.push({ side: 'container', path: op.path });
    // both sides now hold the same thing: the ancestor says so
    const changes: [SyncPath, SyncEntry | null][] = [];
    const ancestor = pair.currentAncestor();
    const under = (p: SyncPath, root: SyncPath) => p === root || p.startsWith(`${root}/`);
    for (const path of ancestor.keys()) if (under(path, conflict.copy)) changes.push([path, null]);
    if (input.keep === 'local') {
      for (const path of ancestor.keys()) if (under(path, conflict.path)) changes.push([path, null]);
      for (const [path, entry] of localScan.entries) {
        if (under(path, conflict.copy))
          changes.push([conflict.path + path.slice(conflict.copy.length), entry]);
      }
    }
    pair.advance(changes);
  });
  table.resolveConflict(conflict.id, input.keep);
  return report;
}

/** Removes what is at `root` (children first); nothing when it is absent. */
function removeSubtree(tree: ReadonlySyncTree, root: SyncPath): SyncOp[] {
  const paths = [...tree.keys()].filter((p) => p === root || p.startsWith(`${root}/`));
  paths.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  return paths.map((path) => ({ op: 'remove', path, expect: tree.get(path)! }));
}

function moveTo(tree: ReadonlySyncTree, from: SyncPath, to: SyncPath): SyncOp[] {
  const entry = tree.get(from);
  return entry ? [{ op: 'move', path: from, expect: entry, to }] : [];
}

function show(path: SyncPath): string {
  return JSON.stringify(Buffer.from(path, 'latin1').toString('utf8'));
}
