/** After the command exits, how long its output may stay quiet before the call stops waiting. */
export const EXIT_GRACE_MS = 2000;

/**
 * Once a command has exited, a background child may still hold its output open; the call must
 * not wait for that child. But output that is still coming, or waiting for a paused consumer,
 * is the command's own and must not be cut. So the grace period runs only while the output is
 * quiet and nobody is paused, and starts again with every chunk.
 */
export class ExitGrace {
  private timer: NodeJS.Timeout | undefined;
  private hasExited = false;
  private paused = 0;

  constructor(
    private readonly onExpire: () => void,
    private readonly ms = EXIT_GRACE_MS,
  ) {}

  exited(): void {
    this.hasExited = true;
    this.arm();
  }

  /** Output arrived. */
  activity(): void {
    if (this.hasExited) this.arm();
  }

  /** The consumer's drain, counted as a pause: a paused consumer is never "quiet". */
  wrapDrain(drain: (() => Promise<void>) | undefined): (() => Promise<void>) | undefined {
    if (!drain) return undefined;
    return async () => {
      this.paused++;
      clearTimeout(this.timer);
      try {
        await drain();
      } finally {
        this.paused--;
        this.activity();
      }
    };
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.paused === 0) this.timer = setTimeout(this.onExpire, this.ms);
  }
}
