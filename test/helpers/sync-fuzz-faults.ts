import type { OpResult, ReplicaIdentity, ScanResult, SyncOp } from '../../src/workspace/sync-tree/entry.js';
import type {
  ContentChunk,
  ContentRequest,
  Replica,
  ScanOptions,
  StageResult,
  WatchHint,
} from '../../src/workspace/sync-tree/replica.js';

/** One fault, armed on one side for its next call of the kind it names. */
export type Fault =
  /** apply runs only the first `after` ops (all of them when `after` ≥ their count), then throws: a hub killed mid-apply. */
  | { kind: 'apply-kill'; after: number }
  /** stage takes `after` chunks, then its input breaks (the stream to the side was cut). */
  | { kind: 'stage-kill'; after: number }
  /** read yields `after` chunks, then throws (`end: false`) or just stops (`end: true`). */
  | { kind: 'read-cut'; after: number; end: boolean }
  /** Right before apply, the user changes this side (between the scan and the changes). */
  | { kind: 'concurrent' };

/** What a fault throws: the driver tells it from a real error by this class. */
export class InjectedFault extends Error {}

/**
 * A Replica that passes everything to a real one, except where an armed fault says otherwise.
 * Each fault fires once; `fired` says which did, for the log.
 */
export class FaultyReplica implements Replica {
  fault: Fault | undefined;
  fired: string | undefined;
  /** A broken replica for the fuzz's own test: mkdirs report success and do nothing. */
  dropMkdirs = false;
  /** Runs the user's change for a `concurrent` fault. */
  onConcurrent: (() => void) | undefined;

  constructor(readonly inner: Replica) {}

  get side(): 'local' | 'container' {
    return this.inner.side;
  }

  identity(): Promise<ReplicaIdentity> {
    return this.inner.identity();
  }

  scan(options: ScanOptions): Promise<ScanResult> {
    return this.inner.scan(options);
  }

  read(files: ContentRequest[]): AsyncIterable<ContentChunk> {
    const fault = this.take('read-cut');
    if (!fault) return this.inner.read(files);
    const source = this.inner.read(files);
    const note = (n: number) =>
      (this.fired = `${this.side} read cut after ${n} chunk(s)${fault.end ? ' (ended)' : ''}`);
    return (async function* () {
      let n = 0;
      for await (const chunk of source) {
        if (n >= fault.after) {
          note(n);
          if (fault.end) return;
          throw new InjectedFault('read cut');
        }
        n++;
        yield chunk;
      }
    })();
  }

  stage(chunks: AsyncIterable<ContentChunk>): Promise<StageResult> {
    const fault = this.take('stage-kill');
    if (!fault) return this.inner.stage(chunks);
    const note = (n: number) => (this.fired = `${this.side} stage killed after ${n} chunk(s)`);
    return this.inner.stage(
      (async function* () {
        let n = 0;
        for await (const chunk of chunks) {
          if (n >= fault.after) {
            note(n);
            throw new InjectedFault('stage killed');
          }
          n++;
          yield chunk;
        }
      })(),
    );
  }

  async apply(ops: SyncOp[]): Promise<OpResult[]> {
    const concurrent = this.take('concurrent');
    if (concurrent) {
      this.fired = `${this.side} changed by the user right before apply`;
      this.onConcurrent?.();
    }
    if (this.dropMkdirs) return this.applyDroppingMkdirs(ops);
    const kill = this.take('apply-kill');
    if (!kill) return this.inner.apply(ops);
    const done = ops.slice(0, kill.after);
    if (done.length > 0) await this.inner.apply(done);
    this.fired = `${this.side} apply killed after ${done.length} of ${ops.length} op(s)`;
    throw new InjectedFault('apply killed');
  }

  clearStage(): Promise<void> {
    return this.inner.clearStage();
  }

  watch(onHint: (hint: WatchHint) => void): Promise<() => void> {
    return this.inner.watch(onHint);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async applyDroppingMkdirs(ops: SyncOp[]): Promise<OpResult[]> {
    const kept = ops.filter((op) => op.op !== 'mkdir');
    const results = await this.inner.apply(kept);
    return ops.map((op) =>
      op.op === 'mkdir' ? { ok: true, entry: { kind: 'dir', mode: op.mode } } : results[kept.indexOf(op)]!,
    );
  }

  private take<K extends Fault['kind']>(kind: K): Extract<Fault, { kind: K }> | undefined {
    if (this.fault?.kind !== kind) return undefined;
    const fault = this.fault as Extract<Fault, { kind: K }>;
    this.fault = undefined;
    return fault;
  }
}
