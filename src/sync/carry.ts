import { BerthError } from '../errors.js';
import type { OpResult, SyncPath, SyncTree } from '../workspace/sync-tree/entry.js';
import type { ContentRequest, Replica } from '../workspace/sync-tree/replica.js';
import type { PlannedOp } from './reconcile/reconcile.js';

/** A slice of a pipelined carry ends after this many ops, or once its puts hold this many bytes. */
const SLICE_OPS = 1000;
const SLICE_BYTES = 8 * 1024 * 1024;

/**
 * Sends the content the target's `put`s need from the source, found by digest in the source's
 * scan (a conflict's losing version is read from where it was scanned, before it is moved).
 * `skip`: digests already staged on the target in this cycle; those sent are added to it.
 */
export async function transfer(
  source: Replica,
  target: Replica,
  ops: readonly PlannedOp[],
  content: ReadonlyMap<string, SyncPath>,
  skip: Set<string> = new Set(),
): Promise<void> {
  const wanted = new Map<string, ContentRequest>();
  for (const { op, from } of ops) {
    if (op.op !== 'put' || wanted.has(op.entry.digest) || skip.has(op.entry.digest)) continue;
    const path = content.get(op.entry.digest) ?? from;
    if (path === undefined) continue; // its put fails with missing-content and is retried
    wanted.set(op.entry.digest, { path, digest: op.entry.digest, size: op.entry.size });
  }
  if (wanted.size === 0) return;
  for (const digest of wanted.keys()) skip.add(digest);
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

/**
 * One direction's changes when the other direction has none: the ops in slices, the content of
 * the next slice staged while the target applies this one, so the apply's work (renames,
 * folder fsyncs) overlaps the stream instead of following all of it. Each slice's apply keeps
 * staged what a later slice wants too. Nothing the source side does can interfere: only the
 * target is changed, and only the source is read. One result per op, in order.
 */
export async function carryPipelined(
  source: Replica,
  target: Replica,
  ops: readonly PlannedOp[],
  sourceTree: SyncTree,
  onSlice: (applied: number, total: number) => void = () => undefined,
): Promise<OpResult[]> {
  const content = digestIndex(sourceTree);
  const slices = sliceOps(ops);
  const remaining = new Map<string, number>();
  for (const { op } of ops)
    if (op.op === 'put') remaining.set(op.entry.digest, (remaining.get(op.entry.digest) ?? 0) + 1);
  const requested = new Set<string>();
  const results: OpResult[] = [];
  let staging: Promise<void> | undefined = transfer(source, target, slices[0] ?? [], content, requested);
  try {
    for (let i = 0; i < slices.length; i++) {
      const slice = slices[i]!;
      await staging;
      staging =
        i + 1 < slices.length ? transfer(source, target, slices[i + 1]!, content, requested) : undefined;
      for (const { op } of slice) {
        if (op.op !== 'put') continue;
        const left = (remaining.get(op.entry.digest) ?? 1) - 1;
        if (left > 0) remaining.set(op.entry.digest, left);
        else remaining.delete(op.entry.digest);
      }
      const keep = [...remaining.keys()].filter((digest) => requested.has(digest));
      results.push(
        ...(await target.apply(
          slice.map((o) => o.op),
          { keep },
        )),
      );
      onSlice(results.length, ops.length);
    }
  } finally {
    // a failed apply must not leave a stage running unobserved
    await staging?.catch(() => undefined);
  }
  return results;
}

/** Whether a direction's ops are worth a pipeline: more than one slice of them. */
export function pipelines(ops: readonly PlannedOp[]): boolean {
  return sliceOps(ops).length > 1;
}

/** Consecutive slices, in order (later ops may depend on earlier ones). */
function sliceOps(ops: readonly PlannedOp[]): PlannedOp[][] {
  const slices: PlannedOp[][] = [];
  let slice: PlannedOp[] = [];
  let bytes = 0;
  for (const planned of ops) {
    slice.push(planned);
    if (planned.op.op === 'put') bytes += planned.op.entry.size;
    if (slice.length >= SLICE_OPS || bytes >= SLICE_BYTES) {
      slices.push(slice);
      slice = [];
      bytes = 0;
    }
  }
  if (slice.length > 0) slices.push(slice);
  return slices;
}

/** Where each digest was found in the source's scan (the first path with it). */
export function digestIndex(tree: SyncTree): Map<string, SyncPath> {
  const index = new Map<string, SyncPath>();
  for (const [path, entry] of tree)
    if (entry.kind === 'file' && !index.has(entry.digest)) index.set(entry.digest, path);
  return index;
}
