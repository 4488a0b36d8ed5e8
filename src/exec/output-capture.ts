import { DEFAULT_OUTPUT_CAP, StreamCap, truncationMarker } from './stream-cap.js';

/**
 * Keeps at most `cap` bytes of a stream (see StreamCap); everything past it is counted and
 * dropped. The text ends with the truncation marker, with the count, when cut.
 */
export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private readonly limit: StreamCap;

  constructor(cap: number = DEFAULT_OUTPUT_CAP) {
    this.limit = new StreamCap(cap);
  }

  push(chunk: Buffer): void {
    const part = this.limit.take(chunk);
    if (part === undefined) return;
    // copy: the engine's buffers may be reused
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.limit.truncated;
  }

  get droppedBytes(): number {
    return this.limit.droppedBytes;
  }

  text(): string {
    const body = Buffer.concat(this.chunks, this.kept).toString('utf8');
    if (!this.truncated) return body;
    const sep = body.endsWith('\n') ? '' : '\n';
    return `${body}${sep}${truncationMarker(this.limit.cap, this.droppedBytes)}\n`;
  }
}
