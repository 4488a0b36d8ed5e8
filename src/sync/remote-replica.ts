import { BerthError, isBerthErrorCode } from '../errors.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type {
  OpResult,
  ReplicaIdentity,
  ScanResult,
  SyncEntry,
  SyncOp,
  SyncPath,
} from '../workspace/sync-tree/entry.js';
import type {
  ContentChunk,
  ContentRequest,
  Replica,
  ScanOptions,
  StageResult,
  WatchHint,
} from '../workspace/sync-tree/replica.js';
import { AGENT_MAIN, AGENT_NODE } from './agent-image.js';
import { AgentConnection, type AgentChannel } from './protocol/agent-connection.js';
import { AsyncQueue } from './protocol/async-queue.js';
import { CHUNK_BYTES, type Frame } from './protocol/frames.js';
import { ScanCollector } from './protocol/scan-collector.js';
import {
  checkDigest,
  checkHint,
  checkIdentity,
  checkOpResult,
  checkStageResult,
  checkText,
  parseBody,
  violation,
} from './protocol/validate.js';

/** A read holds this much content before the agent's output is paused. */
const READ_HIGH_BYTES = 8 * 1024 * 1024;
const READ_LOW_BYTES = 2 * 1024 * 1024;
/** An apply's ops cross in batches of about this much JSON. */
const APPLY_BATCH_BYTES = 4 * 1024 * 1024;
const HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * The agent's memory is charged to the side-car. Its old space may grow to 384 MB (a scan of
 * the 1,000,000-entry cap fits), but its young generation is kept small: what it allocates per
 * request (frames, JSON) dies young, and a 16 MB semi-space is RSS it keeps for good.
 */
const AGENT_HEAP_FLAGS = ['--max-old-space-size=384', '--max-semi-space-size=2'];
const AGENT_ENV = {
  // staging fsyncs many files side by side: more than libuv's default 4 threads
  UV_THREADPOOL_SIZE: '16',
  // glibc: few malloc arenas (not one per busy thread), and buffers of 64 KiB or more mapped
  // on their own, so the memory of a frame or a batch goes back to the system when it is freed
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '65536',
};

export interface ConnectOptions {
  /** The volume's root in the side-car (the placement's container root). */
  root: string;
  /** Who the agent makes the files it writes belong to (the project's uid and gid). */
  owner?: { uid: number; gid: number };
  /** The volume's attic drops its oldest versions beyond this (the agent's default otherwise). */
  atticMaxBytes?: number;
  /** Called once when the stream ends, for whatever reason (close() included). */
  onClose?: (err: BerthError) => void;
}

/** Starts the agent in the side-car over one attached exec and waits for its handshake. */
export async function connectAgent(
  runtime: ContainerRuntime,
  sidecarId: string,
  options: ConnectOptions,
): Promise<RemoteReplica> {
  const connection = new AgentConnection();
  if (options.onClose) connection.onClose(options.onClose);
  const flags = options.owner ? ['--uid', String(options.owner.uid), '--gid', String(options.owner.gid)] : [];
  if (options.atticMaxBytes !== undefined)
    flags.push('--attic-max-bytes', String(Math.floor(options.atticMaxBytes)));
  const proc = await runtime.exec.attach(sidecarId, {
    cmd: [AGENT_NODE, ...AGENT_HEAP_FLAGS, AGENT_MAIN, 'serve', '--root', options.root, ...flags],
    user: '0:0',
    env: AGENT_ENV,
    onStdout: (chunk) => connection.receive(chunk),
    onStderr: (chunk) => connection.diagnostics(chunk),
    onClose: () => connection.lost(),
  });
  connection.bind({
    write: (data) => proc.write(data),
    drained: () => proc.drained(),
    pause: () => proc.pause(),
    resume: () => proc.resume(),
    close: () => proc.close(),
  });
  await connection.ready(HANDSHAKE_TIMEOUT_MS);
  return new RemoteReplica(connection);
}

/** A Replica speaking to an agent over a channel the caller made (tests drive one by hand). */
export function remoteReplicaOver(channel: AgentChannel, onClose?: (err: BerthError) => void) {
  const connection = new AgentConnection();
  if (onClose) connection.onClose(onClose);
  connection.bind(channel);
  return {
    replica: new RemoteReplica(connection),
    /** Feed it the agent's stdout, stderr, and the end of the stream. */
    receive: (chunk: Buffer) => connection.receive(chunk),
    diagnostics: (chunk: Buffer) => connection.diagnostics(chunk),
    lost: () => connection.lost(),
  };
}

/**
 * The container's volume as a Replica: every call is a request to the agent beside it, many
 * in flight at once. Everything the agent answers is checked (protocol/validate.ts) before it
 * is returned.
 */
export class RemoteReplica implements Replica {
  readonly side = 'container' as const;
  /** The last full scan, as checked here, and the agent's token for it. */
  private lastScan: { token: string; entries: ReadonlyMap<SyncPath, SyncEntry> } | undefined;

  constructor(private readonly connection: AgentConnection) {}

  /** Called once when the stream ends, for whatever reason (close() included). */
  onClose(listener: (err: BerthError) => void): void {
    if (this.connection.closed) listener(this.connection.closed);
    else this.connection.onClose(listener);
  }

  /** Why the connection ended; undefined while it is up. */
  get closed(): BerthError | undefined {
    return this.connection.closed;
  }

  async identity(): Promise<ReplicaIdentity> {
    const frame = await this.call({ t: 'identity' }, undefined, 'identity');
    return checkIdentity(frame.header.identity);
  }

  /**
   * A full scan is asked for as the changes since the last full one (whose result this keeps);
   * the agent sends it whole when it has no such scan (a new agent, or the last answer did not
   * reach here). Each part says whether it is a change, and against which scan.
   */
  scan(options: ScanOptions): Promise<ScanResult> {
    const base = options.paths === undefined ? this.lastScan : undefined;
    return new Promise((resolve, reject) => {
      let collector: ScanCollector | undefined;
      let against: unknown;
      const collect = (header: Frame['header']) => {
        if (collector === undefined) {
          against = header.base;
          if (against !== undefined && against !== base?.token)
            throw violation('a scan sent as changes against a scan this side does not hold');
          collector = new ScanCollector(against === undefined ? undefined : base!.entries);
        } else if (header.base !== against) throw violation('a scan whose parts disagree on their base');
        return collector;
      };
      const id = this.connection.open(
        {
          onFrame: (frame) => {
            if (frame.header.t === 'scan-part') return collect(frame.header).add(frame.body);
            if (frame.header.t === 'scan-end') {
              const result = collect(frame.header).finish(frame.header.root);
              const token = frame.header.token;
              if (options.paths === undefined)
                this.lastScan =
                  typeof token === 'string' && /^[0-9a-f]{1,64}$/.test(token)
                    ? { token, entries: result.entries }
                    : undefined;
              this.connection.finish(id);
              return resolve(result);
            }
            this.settleError(id, frame, reject);
          },
          fail: (err) => {
            this.lastScan = undefined;
            reject(err);
          },
        },
        { t: 'scan' },
        Buffer.from(JSON.stringify(base ? { ...options, since: base.token } : options)),
      );
    });
  }

  async *read(files: ContentRequest[]): AsyncIterable<ContentChunk> {
    if (files.length === 0) return;
    const expected = new Map<string, { size: number; count: number }>();
    for (const f of files) {
      const seen = expected.get(checkDigest(f.digest));
      if (seen) seen.count++;
      else expected.set(f.digest, { size: f.size, count: 1 });
    }
    const holder = {};
    const queue = new AsyncQueue<ContentChunk>({
      onTake: (bytes) => {
        if (bytes < READ_LOW_BYTES) this.connection.hold(holder, false);
      },
    });
    let current: { digest: string; bytes: number } | undefined;
    let finished = false;
    const onChunk = (frame: Frame) => {
      const digest = checkDigest(frame.header.digest);
      const want = expected.get(digest);
      if (!want || want.count === 0 || (current && current.digest !== digest))
        throw violation('content this read did not ask for, or out of order');
      current ??= { digest, bytes: 0 };
      current.bytes += frame.body.length;
      if (current.bytes > want.size) throw violation('more bytes of a file than its size');
      const chunk: ContentChunk = { digest, data: frame.body, last: frame.header.last === true };
      if (frame.header.failed !== undefined) {
        chunk.failed = checkText(frame.header.failed, 'a read failure');
        chunk.last = true;
      }
      if (chunk.last) {
        want.count--;
        current = undefined;
      }
      queue.push(chunk, chunk.data.length);
      if (queue.bytes > READ_HIGH_BYTES) this.connection.hold(holder, true);
    };
    const id = this.connection.open(
      {
        onFrame: (frame) => {
          if (frame.header.t === 'chunk') return onChunk(frame);
          if (frame.header.t === 'read-end') {
            if (current || [...expected.values()].some((w) => w.count > 0))
              throw violation('the end of a read before every file it asked for');
            finished = true;
            this.connection.finish(id);
            return queue.end();
          }
          this.settleError(id, frame, (err) => queue.fail(err));
        },
        fail: (err) => queue.fail(err),
      },
      { t: 'read' },
      Buffer.from(JSON.stringify(files)),
    );
    try {
      yield* queue;
      finished = true;
    } finally {
      this.connection.hold(holder, false);
      if (!finished && !this.connection.closed) {
        this.connection.abandon(id);
        this.connection.write({ t: 'cancel', id });
      }
    }
  }

  async stage(chunks: AsyncIterable<ContentChunk>): Promise<StageResult> {
    const sent = new Set<string>();
    let settled = false;
    const answer = new Promise<StageResult>((resolve, reject) => {
      const id = this.connection.open(
        {
          onFrame: (frame) => {
            settled = true;
            if (frame.header.t === 'staged') {
              const result = checkStageResult(parseBody(frame.body, 'a stage result'), sent);
              this.connection.finish(id);
              return resolve(result);
            }
            this.settleError(id, frame, reject);
          },
          fail: (err) => {
            settled = true;
            reject(err);
          },
        },
        { t: 'stage' },
      );
      void this.feedStage(id, chunks, sent, () => settled).catch((err: unknown) => {
        settled = true;
        if (!this.connection.closed) {
          this.connection.abandon(id);
          this.connection.write({ t: 'cancel', id });
        }
        reject(err);
      });
    });
    return answer;
  }

  async apply(ops: SyncOp[]): Promise<OpResult[]> {
    const results: OpResult[] = [];
    for (const batch of batches(ops)) {
      const frame = await this.call({ t: 'apply' }, Buffer.from(JSON.stringify(batch)), 'applied');
      const answer = parseBody(frame.body, 'op results');
      if (!Array.isArray(answer) || answer.length !== batch.length) throw this.fatal('not one result per op');
      results.push(...answer.map(checkOpResult));
    }
    return results;
  }

  async clearStage(): Promise<void> {
    await this.call({ t: 'clear-stage' }, undefined, 'done');
  }

  watch(onHint: (hint: WatchHint) => void): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let started = false;
      const id = this.connection.open(
        {
          onFrame: (frame) => {
            if (frame.header.t === 'hint') return onHint(checkHint(frame.header.hint));
            if (frame.header.t === 'done' && !started) {
              started = true;
              return resolve(() => {
                this.connection.abandon(id);
                if (!this.connection.closed) this.connection.write({ t: 'unwatch', watch: id, id });
              });
            }
            this.settleError(id, frame, reject);
          },
          // a watch that ends with the stream says so, as watchers do: everything may have changed
          fail: (err) => (started ? onHint({ all: true, reason: err.message }) : reject(err)),
        },
        { t: 'watch' },
      );
    });
  }

  async close(): Promise<void> {
    this.connection.end(
      new BerthError('SYNC_AGENT_GONE', 'the connection to the sync agent was closed by berth'),
    );
  }

  private async feedStage(
    id: number,
    chunks: AsyncIterable<ContentChunk>,
    sent: Set<string>,
    settled: () => boolean,
  ): Promise<void> {
    for await (const chunk of chunks) {
      if (settled()) return;
      const digest = checkDigestOut(chunk.digest);
      sent.add(digest);
      const data = chunk.data;
      for (let at = 0; at === 0 || at < data.length; at += CHUNK_BYTES) {
        const isLast = chunk.last && at + CHUNK_BYTES >= data.length;
        const header: Record<string, unknown> = {
          t: 'stage-chunk',
          id,
          digest,
          last: isLast || chunk.failed !== undefined,
        };
        if (chunk.failed !== undefined && at + CHUNK_BYTES >= data.length) header.failed = chunk.failed;
        if (!this.connection.write(header, data.subarray(at, at + CHUNK_BYTES)))
          await this.connection.drained();
        if (this.connection.closed) throw this.connection.closed;
        if (data.length === 0) break;
      }
    }
    if (!settled()) this.connection.write({ t: 'stage-end', id });
  }

  /** One request, one answer of type `expect`. */
  private call(header: Record<string, unknown>, body: Buffer | undefined, expect: string): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const id = this.connection.open(
        {
          onFrame: (frame) => {
            if (frame.header.t === expect) {
              this.connection.finish(id);
              return resolve(frame);
            }
            this.settleError(id, frame, reject);
          },
          fail: reject,
        },
        header,
        body,
      );
    });
  }

  /** An `error` answer rejects its request; any other frame here breaks the protocol. */
  private settleError(id: number, frame: Frame, reject: (err: BerthError) => void): void {
    if (frame.header.t !== 'error')
      throw violation(`an unexpected ${JSON.stringify(String(frame.header.t)).slice(0, 40)} frame`);
    const code = frame.header.code;
    const message = checkText(frame.header.message, 'an error message');
    this.connection.finish(id);
    const known = isBerthErrorCode(code) && code !== 'SYNC_AGENT_GONE' && code !== 'PROTOCOL_ERROR';
    reject(
      new BerthError(known ? code : 'ENGINE_ERROR', `the sync agent: ${message}`, {
        agentCode: typeof code === 'string' ? code.slice(0, 64) : undefined,
      }),
    );
  }

  private fatal(what: string): BerthError {
    const err = violation(what);
    this.connection.end(err);
    return err;
  }
}

/** The host's own digests are checked too: a bad one is a bug here, caught before it crosses. */
function checkDigestOut(digest: string): string {
  if (!/^[0-9a-f]{64}$/.test(digest))
    throw new BerthError(
      'INVALID_ARGUMENT',
      `a content digest must be 64 lowercase hex digits, not ${JSON.stringify(digest.slice(0, 80))}`,
    );
  return digest;
}

/** Ops in order, cut where their JSON would pass APPLY_BATCH_BYTES. */
function* batches(ops: SyncOp[]): Generator<SyncOp[]> {
  let batch: SyncOp[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = JSON.stringify(op).length + 1;
    if (batch.length > 0 && bytes + size > APPLY_BATCH_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(op);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
