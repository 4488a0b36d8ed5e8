/**
 * Finds our marker lines ("\n<sentinel><payload>\n") in a byte stream that also carries a
 * command's output, and hands everything else on untouched. The leading newline is ours (so a
 * marker is found even after output without a final newline) and is removed with the marker.
 * Bytes that might be the start of a marker are held back until the next chunk decides.
 */
export class SentinelScanner {
  private held: Buffer = Buffer.alloc(0);
  private readonly head: Buffer;

  constructor(sentinel: string) {
    this.head = Buffer.from(`\n${sentinel}`);
  }

  /** Returns the output to pass on and the payloads of the markers found, in order. */
  push(chunk: Buffer): { data: Buffer; markers: string[] } {
    let buf = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const out: Buffer[] = [];
    const markers: string[] = [];
    for (;;) {
      const at = buf.indexOf(this.head);
      if (at === -1) break;
      const end = buf.indexOf(10, at + this.head.length);
      if (end === -1) {
        // a marker has begun but its line has not ended yet
        out.push(buf.subarray(0, at));
        this.held = buf.subarray(at);
        return { data: Buffer.concat(out), markers };
      }
      out.push(buf.subarray(0, at));
      markers.push(buf.subarray(at + this.head.length, end).toString());
      buf = buf.subarray(end + 1);
    }
    const keep = this.partialHeadAtEnd(buf);
    out.push(buf.subarray(0, buf.length - keep));
    this.held = buf.subarray(buf.length - keep);
    return { data: Buffer.concat(out), markers };
  }

  /** What is held back, for when the stream ends without another marker. */
  rest(): Buffer {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return rest;
  }

  /** The length of the longest end of `buf` that is a beginning of the marker head. */
  private partialHeadAtEnd(buf: Buffer): number {
    for (let n = Math.min(this.head.length - 1, buf.length); n > 0; n--) {
      if (buf.subarray(buf.length - n).equals(this.head.subarray(0, n))) return n;
    }
    return 0;
  }
}
