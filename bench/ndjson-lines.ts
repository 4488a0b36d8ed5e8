const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines without decoding it as a whole: NDJSON escapes every newline
 * inside a value, so a raw 0x0a only ever ends an event. Chunks may cut lines (and UTF-8
 * sequences) anywhere; a line is decoded once it is complete.
 */
export class NdjsonLines {
  private pending: Buffer[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      const tail = chunk.subarray(start, nl);
      const line = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
      this.pending = [];
      if (line.length > 0) this.onLine(line.toString('utf8'));
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  /** Bytes after the last newline: an unfinished event. */
  get leftover(): number {
    return this.pending.reduce((n, b) => n + b.length, 0);
  }
}
