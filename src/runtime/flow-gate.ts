/** A writable that says when its buffer is full (a socket, an HTTP answer, stdout). */
export interface Drainable {
  readonly writableNeedDrain?: boolean;
  readonly destroyed?: boolean;
  once(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  off(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
}

/**
 * Resolves once `stream` can take more (at once when it can): on `drain`, or when it closes or
 * fails, since then nobody will read what waits. Whichever comes first removes the other
 * listeners, so none pile up over a long run.
 */
export function drained(stream: Drainable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writableNeedDrain) return resolve();
    const done = () => {
      for (const event of ['drain', 'close', 'error'] as const) stream.off(event, done);
      resolve();
    };
    for (const event of ['drain', 'close', 'error'] as const) stream.once(event, done);
  });
}

/** Anything whose output can be paused: a stream, or an attached process. */
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

/**
 * Wraps a consumer so that its `false` pauses the source until the consumer drains: the
 * engine (or the FIFO) then stops reading, and the command blocks on a full pipe.
 */
export function flowGate(source: Pausable, drain: (() => Promise<void>) | undefined) {
  let paused = false;
  return (consumer: ((chunk: Buffer) => boolean | void) | undefined) =>
    (chunk: Buffer): void => {
      if (consumer?.(chunk) !== false || !drain || paused) return;
      paused = true;
      source.pause();
      void drain().then(() => {
        paused = false;
        source.resume();
      });
    };
}
