/** The largest part of each output stream berth keeps or forwards, unless told otherwise. */
export const DEFAULT_OUTPUT_CAP = 1024 * 1024;

/**
 * The one truncation marker. A stream that is forwarded as it comes cannot know yet how much
 * will be dropped, so it names the cap only; a captured stream adds the count.
 */
export function truncationMarker(cap: number, dropped?: number): string {
  const count = dropped === undefined ? '' : `; ${dropped} more bytes dropped`;
  return `[berth: output truncated at ${cap} bytes${count}]`;
}

/**
 * Counts one stream against a byte cap: `take()` returns the part of a chunk that still fits
 * (the rest is counted and dropped), so memory stays bounded however much a command prints.
 */
export class StreamCap {
  private seen = 0;
  private marked = false;

  constructor(readonly cap: number = DEFAULT_OUTPUT_CAP) {}

  /** The part of `chunk` within the cap, or undefined when none of it fits. */
  take(chunk: Buffer): Buffer | undefined {
    const room = this.cap - this.seen;
    this.seen += chunk.length;
    if (room <= 0) return undefined;
    return chunk.length <= room ? chunk : chunk.subarray(0, room);
  }

  get truncated(): boolean {
    return this.seen > this.cap;
  }

  get droppedBytes(): number {
    return Math.max(0, this.seen - this.cap);
  }

  /** The most bytes a forwarded stream carries: the cap, then the marker line. */
  static forwardedBytes(cap: number): number {
    return cap + Buffer.byteLength(`\n${truncationMarker(cap)}\n`);
  }

  /**
   * The marker line for a forwarded stream, once: on the first byte past the cap (which may
   * arrive in a later chunk than the one that filled it); undefined otherwise.
   */
  markOnce(): Buffer | undefined {
    if (!this.truncated || this.marked) return undefined;
    this.marked = true;
    return Buffer.from(`\n${truncationMarker(this.cap)}\n`);
  }
}
