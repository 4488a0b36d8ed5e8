import { redactUrl } from './git-url.js';

/** A meter ("Receiving objects:  45% (45/100)") is passed on at most this often. */
const METER_EVERY_MS = 250;
/** How many of git's last lines an error quotes. */
const TAIL_LINES = 6;

/**
 * git's stderr cut into lines (progress meters end in \r, messages in \n), each with every URL's
 * userinfo taken out before anything sees it. A meter is passed on when its phase changes, when
 * it finishes, or every METER_EVERY_MS; other lines always. The last few lines are kept for errors.
 */
export class ProgressLines {
  private partial = '';
  private last: string[] = [];
  private shownPhase = '';
  private shownAt = 0;

  constructor(private readonly onLine?: (line: string) => void) {}

  push(text: string): void {
    const parts = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.line(part);
  }

  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  /** The last lines (meters left out), redacted, joined for a message. */
  tail(): string {
    return this.last.join('; ');
  }

  private line(raw: string): void {
    // the redaction runs on the whole line, before any cut could split a URL
    const line = redactUrl(raw).trim();
    if (line === '') return;
    const meter = /^(?:remote: )?([A-Za-z ]+):\s+\d+%/.exec(line);
    if (!meter) {
      this.last.push(line);
      if (this.last.length > TAIL_LINES) this.last.shift();
      this.onLine?.(line);
      return;
    }
    const phase = meter[1]!;
    const now = Date.now();
    const done = /, done\.?$/.test(line) || /\b100%/.test(line);
    if (phase !== this.shownPhase || done || now - this.shownAt >= METER_EVERY_MS) {
      this.shownPhase = phase;
      this.shownAt = now;
      this.onLine?.(line);
    }
  }
}
