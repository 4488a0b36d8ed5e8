export const DEFAULT_OUTPUT_CAP = 1024 * 1024;

/**
 * Keeps at most `cap` bytes of a stream; everything past it is counted and dropped, so memory
 * stays bounded however much a command prints. The text ends with a visible marker when cut.
 */
export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly cap: number = DEFAULT_OUTPUT_CAP) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    // copy: the engine's buffers may be reused
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
    this.dropped += chunk.length - part.length;
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  get droppedBytes(): number {
    return this.dropped;
  }

  text(): string {
    const body = Buffer.concat(this.chunks, this.kept).toString('utf8');
    if (!this.truncated) return body;
    const sep = body.endsWith('\n') ? '' : '\n';
    return `${body}${sep}[berth: output truncated at ${this.cap} bytes; ${this.dropped} more bytes dropped]\n`;
  }
}
