import type { ReadonlySyncTree, SyncEntry, SyncPath } from '../../workspace/sync-tree/entry.js';
import { entriesEqual } from './entries-equal.js';
import { isWellFormed, parentOf } from './sync-paths.js';

/**
 * One tree (a side or the ancestor) as the reconciler walks it: only well-formed entries
 * reachable from the root through dirs count, so an entry whose parent is missing or is not a
 * dir (a malformed scan, or an ancestor left inconsistent) is never taken as present, and each
 * dir's children are at hand in byte order.
 */
export class TreeView {
  private readonly kids = new Map<SyncPath, SyncPath[]>();

  private constructor(private readonly entries: ReadonlyMap<SyncPath, SyncEntry>) {}

  static of(tree: ReadonlySyncTree): TreeView {
    const byParent = new Map<SyncPath, SyncPath[]>();
    for (const path of tree.keys()) {
      if (path === '' || !isWellFormed(path)) continue; // never reachable, so never present
      const parent = parentOf(path);
      const list = byParent.get(parent);
      if (list) list.push(path);
      else byParent.set(parent, [path]);
    }
    const kids = new Map<SyncPath, SyncPath[]>();
    let reached = 0;
    const root = tree.get('');
    if (root?.kind === 'dir') {
      reached++;
      const todo: SyncPath[] = [''];
      for (let dir = todo.pop(); dir !== undefined; dir = todo.pop()) {
        const children = byParent.get(dir);
        if (!children) continue;
        if (!isSorted(children)) children.sort(); // code-unit order is byte order here
        kids.set(dir, children);
        reached += children.length;
        for (const child of children) if (tree.get(child)?.kind === 'dir') todo.push(child);
      }
    }
    // usually everything is reachable, and the scan's own map serves as it is
    const entries = reached === tree.size ? tree : reachableOnly(tree, kids);
    const view = new TreeView(entries);
    for (const [dir, children] of kids) view.kids.set(dir, children);
    return view;
  }

  /** The paths of `tree` (the one this view was made of) that the view leaves out, in byte order. */
  unreachable(tree: ReadonlySyncTree): SyncPath[] {
    if (this.entries === tree) return [];
    return [...tree.keys()].filter((path) => !this.entries.has(path)).sort();
  }

  get(path: SyncPath): SyncEntry | undefined {
    return this.entries.get(path);
  }

  /** The children of a dir, in byte order (none for anything else). */
  children(path: SyncPath): readonly SyncPath[] {
    return this.kids.get(path) ?? [];
  }

  get size(): number {
    return this.entries.size;
  }

  /** The path and everything below it, parents first. */
  subtree(path: SyncPath): SyncPath[] {
    if (!this.entries.has(path)) return [];
    const out: SyncPath[] = [];
    const walk = (at: SyncPath): void => {
      out.push(at);
      for (const child of this.children(at)) walk(child);
    };
    walk(path);
    return out;
  }
}

function reachableOnly(
  tree: ReadonlySyncTree,
  kids: ReadonlyMap<SyncPath, readonly SyncPath[]>,
): Map<SyncPath, SyncEntry> {
  const out = new Map<SyncPath, SyncEntry>();
  const root = tree.get('');
  if (root?.kind !== 'dir') return out;
  out.set('', root);
  for (const children of kids.values())
    for (const child of children) out.set(child, tree.get(child) as SyncEntry);
  return out;
}

function isSorted(paths: readonly SyncPath[]): boolean {
  for (let i = 1; i < paths.length; i++)
    if ((paths[i - 1] as SyncPath) >= (paths[i] as SyncPath)) return false;
  return true;
}

/** The same subtree (paths and versions) at `path` in both views. */
export function sameSubtree(x: TreeView, y: TreeView, path: SyncPath): boolean {
  const ex = x.get(path);
  const ey = y.get(path);
  if (ex === undefined || ey === undefined) return ex === ey;
  if (!entriesEqual(ex, ey)) return false;
  if (ex.kind !== 'dir') return true;
  const cx = x.children(path);
  const cy = y.children(path);
  if (cx.length !== cy.length) return false;
  return cx.every((child, i) => child === cy[i] && sameSubtree(x, y, child));
}
