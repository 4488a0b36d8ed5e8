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
