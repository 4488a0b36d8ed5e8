/**
 * The host's end of one agent stream: sends requests with fresh ids, routes every answer to
 * the request it names, and ends everything at the first sign of trouble. A stream that
 * closes rejects every pending request with SYNC_AGENT_GONE (with what the agent said on
 * stderr); a frame that breaks the protocol rejects them with PROTOCOL_ERROR and closes it.
 */
import { BerthError } from '../../errors.js';
import { AGENT_MAGIC, CLIENT_MAGIC, encodeFrame, FrameDecoder, handshake, type Frame } from './frames.js';
import { violation } from './validate.js';

/** What carries the bytes: an attached exec in the side-car (or, in tests, a hand-made pipe). */
export interface AgentChannel {
  /** False when the buffer towards the agent is full: wait for `drained`. */
  write(data: Buffer): boolean;
  drained(): Promise<void>;
  pause(): void;
  resume(): void;
  close(): void;
}

/** What a request's owner does with its answers; the connection only routes them. */
export interface PendingRequest {
  /** Called for every frame with this request's id; throwing a PROTOCOL_ERROR ends the connection. */
  onFrame(frame: Frame): void;
  fail(err: BerthError): void;
}

/** The first bytes of the agent's stderr are kept for error messages. */
const STDERR_KEEP = 32 * 1024;

export class AgentConnection {
  private channel: AgentChannel | undefined;
  private readonly decoder = new FrameDecoder(AGENT_MAGIC, 'the sync agent');
  private readonly pending = new Map<number, PendingRequest>();
  /** Ids whose owner gave up: their late frames are dropped, not a violation. */
  private readonly abandoned = new Set<number>();
  private readonly pausers = new Set<object>();
  private nextId = 1;
  private stderr = '';
  private ended: BerthError | undefined;
  private handshakeSeen = false;
  private readonly readyWaiters: { resolve: () => void; reject: (err: BerthError) => void }[] = [];
  private readonly closeListeners: ((err: BerthError) => void)[] = [];

  /** Binds the carrier; bytes that arrived before are already decoded. */
  bind(channel: AgentChannel): void {
    this.channel = channel;
    channel.write(handshake(CLIENT_MAGIC));
    if (this.ended) channel.close();
  }

  get closed(): BerthError | undefined {
    return this.ended;
  }

  /** Resolves once the agent's handshake arrived. */
  ready(timeoutMs: number): Promise<void> {
    if (this.ended) return Promise.reject(this.ended);
    if (this.handshakeSeen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.end(
            new BerthError(
              'SYNC_AGENT_GONE',
              `the sync agent did not answer within ${timeoutMs} ms${this.said()}`,
            ),
          ),
        timeoutMs,
      );
      this.readyWaiters.push({
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
    });
  }

  onClose(listener: (err: BerthError) => void): void {
    this.closeListeners.push(listener);
  }

  /** The agent's stdout. */
  receive(chunk: Buffer): void {
    if (this.ended) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.end(
        new BerthError('PROTOCOL_ERROR', `${(err as Error).message}; the connection is closed${this.said()}`),
      );
      return;
    }
    if (!this.handshakeSeen && this.decoder.shaken) {
      this.handshakeSeen = true;
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
    }
    for (const frame of frames) {
      try {
        this.route(frame);
      } catch (err) {
        const error =
          err instanceof BerthError ? err : violation(`a frame this side could not take (${String(err)})`);
        this.end(error);
        return;
      }
      if (this.ended) return;
    }
  }

  /** The agent's stderr: kept (the first 32 KiB) for messages, never parsed. */
  diagnostics(chunk: Buffer): void {
    if (this.stderr.length < STDERR_KEEP)
      this.stderr += chunk.toString('utf8').slice(0, STDERR_KEEP - this.stderr.length);
  }

  /** The stream closed (the exec ended, the side-car went, or close()). */
  lost(): void {
    this.end(new BerthError('SYNC_AGENT_GONE', `the sync agent's stream closed${this.said()}`));
  }

  /** Registers a request and sends its first frame; returns its id. */
  open(request: PendingRequest, header: Record<string, unknown>, body?: Buffer): number {
    if (this.ended) throw this.ended;
    const id = this.nextId++;
    this.pending.set(id, request);
    this.write({ ...header, id }, body);
    return id;
  }

  /** The request is answered in full: later frames with its id are violations. */
  finish(id: number): void {
    this.pending.delete(id);
  }

  /** The owner gave up on it: later frames with its id are dropped. */
  abandon(id: number): void {
    if (this.pending.delete(id)) this.abandoned.add(id);
  }

  /** Writes a frame; false when the caller should wait for `drained` before the next. */
  write(header: Record<string, unknown>, body?: Buffer): boolean {
    if (this.ended) throw this.ended;
    if (!this.channel) throw new BerthError('SYNC_AGENT_GONE', 'the sync agent is not connected yet');
    return this.channel.write(encodeFrame(header, body));
  }

  drained(): Promise<void> {
    return this.channel && !this.ended ? this.channel.drained() : Promise.resolve();
  }

  /** Holds the agent's output while `who` cannot take more (one pause for all holders). */
  hold(who: object, on: boolean): void {
    const before = this.pausers.size;
    if (on) this.pausers.add(who);
    else this.pausers.delete(who);
    if (before === 0 && this.pausers.size > 0) this.channel?.pause();
    if (before > 0 && this.pausers.size === 0) this.channel?.resume();
  }

  /** Ends the connection: every pending request fails with `err`. */
  end(err: BerthError): void {
    if (this.ended) return;
    this.ended = err;
    this.channel?.close();
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(err);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) request.fail(err);
    for (const listener of this.closeListeners) listener(err);
  }

  private route(frame: Frame): void {
    const id = frame.header.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw violation('a frame without a numeric id');
    const request = this.pending.get(id);
    if (request) return request.onFrame(frame);
    const t = frame.header.t;
    if (this.abandoned.has(id)) {
      if (t === 'read-end' || t === 'error' || t === 'staged' || t === 'done') this.abandoned.delete(id);
      return;
    }
    throw violation(`an answer (${JSON.stringify(String(t)).slice(0, 40)}) to no request`);
  }

  private said(): string {
    const text = this.stderr.trim();
    return text === '' ? '' : ` (the agent said: ${text.slice(0, 2000)})`;
  }
}
