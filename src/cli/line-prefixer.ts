/**
 * Prefixes every line of a chunked stream (e.g. `[web] `), holding back a partial line until
 * its newline arrives so output from concurrent projects never interleaves mid-line.
 */
export class LinePrefixer {
  private partial = '';

  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => void,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (lines.length > 0) this.write(lines.map((l) => `${this.prefix}${l}\n`).join(''));
  }

  flush(): void {
    if (this.partial !== '') this.write(`${this.prefix}${this.partial}\n`);
    this.partial = '';
  }
}
