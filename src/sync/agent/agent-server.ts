/**
 * The agent's side of the stream: reads the client's frames from `input`, runs each request
 * on the replica beside the volume, and answers on `output`. Requests run concurrently (the
 * client pipelines them); answers that stream (scan parts, read chunks) wait for `output` to
 * drain, and a stage whose replica falls behind pauses `input`. Imports only node builtins
 * and relative modules: it runs on a bare `node`.
 */
import type { Readable, Writable } from 'node:stream';
import type { ContentChunk, ContentRequest, Replica } from '../../workspace/sync-tree/replica.js';
import type { ScanOptions } from '../../workspace/sync-tree/replica.js';
import type { ScanProblem, SyncEntry, SyncOp, SyncPath } from '../../workspace/sync-tree/entry.js';
import { randomBytes } from 'node:crypto';
import { AsyncQueue } from '../protocol/async-queue.js';
import {
  AGENT_MAGIC,
  CHUNK_BYTES,
  CLIENT_MAGIC,
  encodeFrame,
  FrameDecoder,
  FrameError,
  handshake,
  type Frame,
} from '../protocol/frames.js';
import { SCAN_PART_ENTRIES } from '../protocol/messages.js';

/** Stage content held in memory, all stages together, before `input` is paused. */
const STAGE_HIGH_BYTES = 16 * 1024 * 1024;
const STAGE_LOW_BYTES = 4 * 1024 * 1024;

export interface AgentIo {
  input: Readable;
  output: Writable;
  /** Short diagnostics (the client keeps the first 32 KiB for its error messages). */
  log: (line: string) => void;
}

/** Serves until `input` ends; resolves after the replica is closed. Rejects on a broken stream. */
export function serveReplica(replica: Replica, io: AgentIo): Promise<void> {
  return new AgentServer(replica, io).run();
}

class AgentServer {
  private readonly decoder = new FrameDecoder(CLIENT_MAGIC, 'the sync client');
  private readonly stages = new Map<number, AsyncQueue<ContentChunk>>();
  private readonly cancelled = new Set<number>();
  private readonly watches = new Map<number, () => void>();
  private stagedBytes = 0;
  private inputPaused = false;
  /** The last full scan sent, for a client that asks for what changed since it. */
  private lastScan: { token: string; entries: Map<SyncPath, string> } | undefined;

  constructor(
    private readonly replica: Replica,
    private readonly io: AgentIo,
  ) {}

  run(): Promise<void> {
    this.io.output.write(handshake(AGENT_MAGIC));
    return new Promise((resolve, reject) => {
      const finish = (err?: unknown) => {
        this.io.input.removeAllListeners('data');
        for (const stop of this.watches.values()) stop();
        this.watches.clear();
        for (const queue of this.stages.values()) queue.fail(new Error('the sync client went away'));
        this.replica.close().then(
          () => (err ? reject(err) : resolve()),
          (closeErr: unknown) => reject(err ?? closeErr),
        );
      };
      this.io.input.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = this.decoder.push(chunk);
        } catch (err) {
          finish(err);
          return;
        }
        for (const frame of frames) this.dispatch(frame);
      });
      this.io.input.once('end', () => finish());
      this.io.input.once('error', (err) => finish(err));
    });
  }

  private dispatch(frame: Frame): void {
    const { header, body } = frame;
    const id = header.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      this.io.log(`a frame without an id (${String(header.t)}) was ignored`);
      return;
    }
    switch (header.t) {
      case 'stage-chunk':
        return this.stageChunk(id, header, body);
      case 'stage-end':
        this.stages.get(id)?.end();
        return;
      case 'cancel':
        this.cancelled.add(id);
        this.stages.get(id)?.fail(new Error('the client cancelled the stage'));
        return;
      case 'unwatch': {
        const watch = typeof header.watch === 'number' ? header.watch : -1;
        this.watches.get(watch)?.();
        this.watches.delete(watch);
        void this.send({ t: 'done', id });
        return;
      }
    }
    this.answer(id, String(header.t), body)
      .catch((err: unknown) => {
        const code =
          typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'ERROR';
        const message = err instanceof Error ? err.message : String(err);
        return this.send({ t: 'error', id, code, message: message.slice(0, 4000) });
      })
      .catch((err: unknown) => this.io.log(`answering request ${id} failed: ${String(err)}`));
  }

  private async answer(id: number, t: string, body: Buffer): Promise<void> {
    switch (t) {
      case 'identity':
        return this.send({ t: 'identity', id, identity: await this.replica.identity() });
      case 'scan':
        return this.scan(id, json<ScanOptions & { since?: unknown }>(body));
      case 'read':
        return this.read(id, json<ContentRequest[]>(body));
      case 'stage':
        return this.stage(id);
      case 'apply': {
        const results = await this.replica.apply(json<SyncOp[]>(body));
        return this.send({ t: 'applied', id }, Buffer.from(JSON.stringify(results)));
      }
      case 'clear-stage':
        await this.replica.clearStage();
        return this.send({ t: 'done', id });
      case 'watch': {
        const stop = await this.replica.watch((hint) => void this.send({ t: 'hint', id, hint }));
        this.watches.set(id, stop);
        return this.send({ t: 'done', id });
      }
      default:
        throw new Error(`unknown request ${JSON.stringify(t).slice(0, 40)}`);
    }
  }

  /**
   * A scan, sent in parts. A full scan whose request names the token of the last full scan
   * sent (`since`) is sent as what changed since it: entries added or different, and the paths
   * gone (`removed`); the client applies them to its copy of that scan. Problems always go whole.
   */
  private async scan(id: number, request: ScanOptions & { since?: unknown }): Promise<void> {
    const { since, ...options } = request;
    const result = await this.replica.scan(options);
    const full = options.paths === undefined;
    const base =
      full && this.lastScan !== undefined && since === this.lastScan.token ? this.lastScan : undefined;
    const header = { t: 'scan-part', id, ...(base ? { base: base.token } : {}) };
    let sent = 0;
    const sendPart = async (
      entries: [SyncPath, SyncEntry][],
      problems: ScanProblem[],
      removed: SyncPath[],
    ) => {
      sent++;
      const part = { entries, problems, ...(base ? { removed } : {}) };
      await this.send(header, Buffer.from(JSON.stringify(part)));
    };
    // what is sent is kept as one string per path for the next scan to compare with
    const now = full ? new Map<SyncPath, string>() : undefined;
    let batch: [SyncPath, SyncEntry][] = [];
    for (const [path, entry] of result.entries) {
      const key = now ? versionKey(entry) : undefined;
      if (now) now.set(path, key!);
      if (base === undefined || base.entries.get(path) !== key) batch.push([path, entry]);
      if (batch.length >= SCAN_PART_ENTRIES) {
        await sendPart(batch, [], []);
        batch = [];
      }
    }
    const removed: SyncPath[] = [];
    if (base) for (const path of base.entries.keys()) if (!result.entries.has(path)) removed.push(path);
    const { problems } = result;
    for (
      let at = 0;
      // at least one part in all; no empty one after the entries' parts
      (at === 0 && sent === 0) || at < Math.max(batch.length, problems.length, removed.length);
      at += SCAN_PART_ENTRIES
    ) {
      const end = at + SCAN_PART_ENTRIES;
      await sendPart(batch.slice(at, end), problems.slice(at, end), removed.slice(at, end));
    }
    const token = full ? randomBytes(12).toString('hex') : undefined;
    if (token !== undefined && now) this.lastScan = { token, entries: now };
    await this.send({
      t: 'scan-end',
      id,
      root: result.root,
      ...(token !== undefined ? { token } : {}),
      ...(base ? { base: base.token } : {}),
    });
  }

  private async read(id: number, files: ContentRequest[]): Promise<void> {
    try {
      for await (const chunk of this.replica.read(files)) {
        if (this.cancelled.has(id)) break;
        const { digest, data, last, failed } = chunk;
        for (let at = 0; at < data.length || at === 0; at += CHUNK_BYTES) {
          const piece = data.subarray(at, at + CHUNK_BYTES);
          const isLast = last && at + CHUNK_BYTES >= data.length;
          const header =
            failed !== undefined && isLast
              ? { t: 'chunk', id, digest, last: isLast, failed }
              : { t: 'chunk', id, digest, last: isLast };
          await this.send(header, piece);
          if (data.length === 0) break;
        }
      }
      await this.send({ t: 'read-end', id });
    } finally {
      this.cancelled.delete(id);
    }
  }

  private async stage(id: number): Promise<void> {
    const queue = new AsyncQueue<ContentChunk>({
      onTake: () => this.stageTaken(),
    });
    this.stages.set(id, queue);
    try {
      const result = await this.replica.stage(queue);
      await this.send({ t: 'staged', id }, Buffer.from(JSON.stringify(result)));
    } finally {
      this.stages.delete(id);
      this.cancelled.delete(id);
      this.stageTaken();
    }
  }

  private stageChunk(id: number, header: Record<string, unknown>, body: Buffer): void {
    const queue = this.stages.get(id);
    if (!queue || queue.done) return; // a stage that already failed: its remaining chunks are dropped
    const chunk: ContentChunk = { digest: String(header.digest), data: body, last: header.last === true };
    if (typeof header.failed === 'string') chunk.failed = header.failed;
    queue.push(chunk, body.length);
    this.stagedBytes = [...this.stages.values()].reduce((sum, q) => sum + q.bytes, 0);
    if (this.stagedBytes > STAGE_HIGH_BYTES && !this.inputPaused) {
      this.inputPaused = true;
      this.io.input.pause();
    }
  }

  private stageTaken(): void {
    this.stagedBytes = [...this.stages.values()].reduce((sum, q) => sum + q.bytes, 0);
    if (this.inputPaused && this.stagedBytes < STAGE_LOW_BYTES) {
      this.inputPaused = false;
      this.io.input.resume();
    }
  }

  /** Writes one frame; resolves once `output` can take more. */
  private send(header: object, body?: Buffer): Promise<void> {
    let frame: Buffer;
    try {
      frame = encodeFrame(header, body);
    } catch (err) {
      if (err instanceof FrameError) return Promise.reject(err);
      throw err;
    }
    if (this.io.output.write(frame)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.io.output.off('drain', done);
        this.io.output.off('close', done);
        resolve();
      };
      this.io.output.once('drain', done);
      this.io.output.once('close', done);
    });
  }
}

function json<T>(body: Buffer): T {
  return JSON.parse(body.toString('utf8')) as T;
}

/**
 * One string per entry, equal for two entries exactly when kind, mode, size, digest or target
 * are: what the next scan compares with (cheaper to make than a packed entry, on the scan's path).
 */
function versionKey(entry: SyncEntry): string {
  switch (entry.kind) {
    case 'file':
      return `f${entry.mode}:${entry.size}:${entry.digest}`;
    case 'dir':
      return `d${entry.mode}`;
    case 'link':
      return `l${entry.target}`;
  }
}
