import * as fs from 'node:fs';
import { BerthError } from '../errors.js';
import { decodeText, refuseBinary } from './text-file.js';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Part of a text file read by lines, with the returned text capped at `maxBytes`. Only what is
 * needed is read: a slice stops at its last line, a tail reads backwards from the end.
 */
export interface LineWindow {
  content: string;
  /** Lines in `content` (a cut line counts). */
  lines: number;
  /** 1-based, inclusive, for slices (0 and 0 when there are no lines there); absent for tails. */
  startLine?: number;
  endLine?: number;
  /** Known when reading reached the end of the file. */
  totalLines?: number;
  /** The text was cut at the byte cap: `'slice'` between lines, `'line'` inside one. */
  cut?: 'slice' | 'line';
  /** For a cut slice: the offset that continues it. */
  nextOffset?: number;
  /** For a line cut inside it: the file byte where the part not shown starts (slice) or ends (tail). */
  restByte?: number;
}

/**
 * Lines [offset, offset + limit) (1-based) of an open file of `size` bytes, at most `maxBytes`
 * of text. A line that starts the slice and is longer than that is cut inside; a later line that
 * does not fit ends the slice before it. Reading from the start stops at `scanMaxBytes`.
 */
export function readLineSlice(
  fd: number,
  size: number,
  shown: string,
  options: { offset: number; limit?: number; maxBytes: number; scanMaxBytes: number },
): LineWindow {
  const { offset, maxBytes } = options;
  const last = options.limit === undefined ? Infinity : offset + options.limit - 1;
  const out: Buffer[] = [];
  let outBytes = 0;
  let line = 1;
  let consumed = 0;
  let endedWithNewline = false;
  let cut: LineWindow['cut'];
  let restByte = 0;
  const chunk = Buffer.allocUnsafe(CHUNK);
  reading: while (line <= last) {
    if (consumed >= options.scanMaxBytes) {
      throw new BerthError(
        'TOO_LARGE',
        `line ${line >= offset ? line : offset} of "${shown}" is past its first ${options.scanMaxBytes} bytes, as far as offset reads; read the end with tail, or find the text with search_files or run_command`,
      );
    }
    const n = fs.readSync(fd, chunk, 0, chunk.length, consumed);
    if (n === 0) break;
    if (consumed === 0) refuseBinary(chunk.subarray(0, n), shown);
    let i = 0;
    while (i < n) {
      const nl = chunk.indexOf(NEWLINE, i);
      const end = nl === -1 || nl >= n ? n : nl + 1;
      if (line >= offset) {
        const room = maxBytes - outBytes;
        if (end - i > room) {
          if (line === offset) {
            // the slice's first line alone is over the cap: cut inside it
            const keep = utf8Prefix(chunk.subarray(i, i + room));
            out.push(Buffer.from(chunk.subarray(i, i + keep)));
            cut = 'line';
            restByte = consumed + i + keep;
          } else {
            cut = 'slice';
          }
          break reading;
        }
        out.push(Buffer.from(chunk.subarray(i, end)));
        outBytes += end - i;
      }
      endedWithNewline = chunk[end - 1] === NEWLINE;
      i = end;
      if (endedWithNewline && ++line > last) {
        consumed += i;
        break reading;
      }
    }
    consumed += n;
  }
  const content = decodeText(Buffer.concat(out), shown);
  const lines = countLines(content);
  const window: LineWindow = {
    content,
    lines,
    startLine: lines > 0 ? offset : 0,
    endLine: lines > 0 ? offset + lines - 1 : 0,
  };
  if (cut === undefined && consumed >= size)
    window.totalLines = endedWithNewline || size === 0 ? line - 1 : line;
  if (cut === 'slice') {
    window.cut = 'slice';
    window.nextOffset = offset + lines;
  } else if (cut === 'line') {
    window.cut = 'line';
    window.restByte = restByte;
  }
  return window;
}

/**
 * The last `count` lines of an open file of `size` bytes, at most `maxBytes` of text: when they
 * do not fit, the last whole lines that do, or the end of a last line that is longer than that.
 * Reads backwards from the end, at most `maxBytes` + 1 bytes, plus the first 8 KiB (the binary check).
 */
export function readTail(
  fd: number,
  size: number,
  shown: string,
  options: { count: number; maxBytes: number },
): LineWindow {
  const head = Buffer.allocUnsafe(Math.min(8192, size));
  refuseBinary(head.subarray(0, fs.readSync(fd, head, 0, head.length, 0)), shown);
  const chunks: Buffer[] = [];
  let start = size;
  let newlines = 0;
  let lineStart: number | undefined;
  while (start > 0 && lineStart === undefined && size - start <= options.maxBytes) {
    const len = Math.min(CHUNK, start, options.maxBytes + 1 - (size - start));
    const chunk = Buffer.allocUnsafe(len);
    const n = fs.readSync(fd, chunk, 0, len, start - len);
    chunks.unshift(chunk.subarray(0, n));
    for (let i = n - 1; i >= 0; i--) {
      // a final newline ends the last line; it does not start another
      if (chunk[i] !== NEWLINE || start - len + i === size - 1) continue;
      if (++newlines === options.count) {
        lineStart = start - len + i + 1;
        break;
      }
    }
    start -= len;
  }
  if (lineStart === undefined && start === 0) lineStart = 0;
  const bytes = Buffer.concat(chunks);
  const base = size - bytes.length;
  if (lineStart !== undefined && size - lineStart <= options.maxBytes) {
    const content = decodeText(bytes.subarray(lineStart - base), shown);
    return { content, lines: countLines(content) };
  }
  // over the cap: the whole lines at the end that fit, or the end of one long line
  const keepFrom = bytes.length - options.maxBytes;
  const nl = bytes.indexOf(NEWLINE, keepFrom - 1);
  if (nl !== -1 && nl < bytes.length - 1) {
    const content = decodeText(bytes.subarray(nl + 1), shown);
    return { content, lines: countLines(content), cut: 'slice' };
  }
  let from = keepFrom;
  while (from < bytes.length && (bytes[from]! & 0xc0) === 0x80) from++;
  const content = decodeText(bytes.subarray(from), shown);
  return { content, lines: countLines(content), cut: 'line', restByte: base + from };
}

/** How many bytes of `buf` end on a whole UTF-8 character (a cut one at the end is left out). */
function utf8Prefix(buf: Buffer): number {
  let j = buf.length - 1;
  while (j >= 0 && buf.length - j <= 4 && (buf[j]! & 0xc0) === 0x80) j--;
  if (j < 0) return buf.length;
  const lead = buf[j]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return j + need <= buf.length ? buf.length : j;
}

export function countLines(text: string): number {
  if (text === '') return 0;
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return text.endsWith('\n') ? count : count + 1;
}
