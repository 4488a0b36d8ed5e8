/**
 * A queue one side pushes into and the other iterates, with a byte count for backpressure: the
 * producer asks `bytes` after a push and pauses its source; `onTake` says when to go on.
 * Imports nothing: it runs inside the agent too.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: { item: T; bytes: number }[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private failWaiting: ((err: unknown) => void) | undefined;
  private ended = false;
  private error: unknown;
  private failed = false;
  private queuedBytes = 0;

  constructor(
    private readonly hooks: {
      /** After the consumer took an item; `bytes` is what is still queued. */
      onTake?: (bytes: number) => void;
      /** The consumer stopped early (break or throw in its loop). */
      onReturn?: () => void;
    } = {},
  ) {}

  get bytes(): number {
    return this.queuedBytes;
  }

  get done(): boolean {
    return this.ended || this.failed;
  }

  push(item: T, bytes = 0): void {
    if (this.done) return;
    const waiting = this.waiting;
    if (waiting) {
      this.clearWaiting();
      waiting({ value: item, done: false });
      this.hooks.onTake?.(this.queuedBytes);
      return;
    }
    this.items.push({ item, bytes });
    this.queuedBytes += bytes;
  }

  end(): void {
    if (this.done) return;
    this.ended = true;
    const waiting = this.waiting;
    this.clearWaiting();
    if (waiting && this.items.length === 0) waiting({ value: undefined, done: true });
  }

  fail(err: unknown): void {
    if (this.done) return;
    this.failed = true;
    this.error = err;
    this.items.length = 0;
    this.queuedBytes = 0;
    const fail = this.failWaiting;
    this.clearWaiting();
    fail?.(err);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const head = this.items.shift();
        if (head) {
          this.queuedBytes -= head.bytes;
          this.hooks.onTake?.(this.queuedBytes);
          return Promise.resolve({ value: head.item, done: false });
        }
        if (this.failed) return Promise.reject(this.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.failWaiting = reject;
        });
      },
      return: () => {
        if (!this.done) {
          this.ended = true;
          this.items.length = 0;
          this.queuedBytes = 0;
          this.hooks.onReturn?.();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private clearWaiting(): void {
    this.waiting = undefined;
    this.failWaiting = undefined;
  }
}
