import { BerthError } from '../errors.js';
import type { SyncPath, SyncTree } from '../workspace/sync-tree/entry.js';
import type { ContentRequest, Replica } from '../workspace/sync-tree/replica.js';
import type { PlannedOp } from './reconcile/reconcile.js';

/**
 * Sends the content the target's `put`s need from the source, found by digest in the source's
 * scan (a conflict's losing version is read from where it was scanned, before it is moved).
 * The index of where each digest is is built only when some op is a put.
 */
export async function transfer(
  source: Replica,
  target: Replica,
  ops: readonly PlannedOp[],
  sourceTree: SyncTree,
): Promise<void> {
  const wanted = new Map<string, ContentRequest>();
  let content: Map<string, SyncPath> | undefined;
  for (const { op, from } of ops) {
    if (op.op !== 'put' || wanted.has(op.entry.digest)) continue;
    content ??= digestIndex(sourceTree);
    const path = content.get(op.entry.digest) ?? from;
    if (path === undefined) continue; // its put fails with missing-content and is retried
    wanted.set(op.entry.digest, { path, digest: op.entry.digest, size: op.entry.size });
  }
  if (wanted.size === 0) return;
  const result = await target.stage(source.read([...wanted.values()]));
  if (result.failed.length > 0 && result.staged.length === 0) {
    // every file failed: say why once (each put reports missing-content and is retried)
    const first = result.failed[0]!;
    if (!/changed|gone|vanished/i.test(first.reason))
      throw new BerthError(
        'PROTOCOL_ERROR',
        `staging content on the ${target.side} side failed: ${first.reason}`,
      );
  }
}

/** Where each digest was found in the source's scan (the first path with it). */
function digestIndex(tree: SyncTree): Map<string, SyncPath> {
  const index = new Map<string, SyncPath>();
  for (const [path, entry] of tree)
    if (entry.kind === 'file' && !index.has(entry.digest)) index.set(entry.digest, path);
  return index;
}
