import { BerthError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text, or BINARY_FILE: a NUL in the first 8 KiB or invalid UTF-8 anywhere. */
export function decodeText(data: Buffer, shown: string): string {
  refuseBinary(data, shown);
  try {
    return decoder.decode(data);
  } catch {
    throw new BerthError('BINARY_FILE', `"${shown}" is not UTF-8 text; berth reads text files only`);
  }
}

/** BINARY_FILE when the file's first bytes (`head`, from offset 0) hold a NUL in their first 8 KiB. */
export function refuseBinary(head: Buffer, shown: string): void {
  if (looksBinary(head)) {
    throw new BerthError(
      'BINARY_FILE',
      `"${shown}" looks binary (it contains NUL bytes); berth reads text files only`,
    );
  }
}

export function looksBinary(data: Buffer): boolean {
  return data.subarray(0, 8192).includes(0);
}

export interface LineSlice {
  content: string;
  totalLines: number;
  /** 1-based, inclusive; 0 and 0 for an empty slice. */
  startLine: number;
  endLine: number;
}

/** Lines [offset, offset + limit) with 1-based offset; the whole text when neither is given. */
export function sliceLines(text: string, offset?: number, limit?: number): LineSlice {
  if (offset === undefined && limit === undefined) {
    // the whole file: count lines without building an array of them
    const totalLines = countLines(text);
    return { content: text, totalLines, startLine: totalLines > 0 ? 1 : 0, endLine: totalLines };
  }
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const totalLines = text === '' ? 0 : lines.length;
  const start = Math.max(1, offset ?? 1);
  const end = Math.min(totalLines, limit === undefined ? totalLines : start + limit - 1);
  if (start > totalLines || end < start) return { content: '', totalLines, startLine: 0, endLine: 0 };
  const picked = lines.slice(start - 1, end);
  const trailing = end < totalLines || text.endsWith('\n') ? '\n' : '';
  return { content: picked.join('\n') + trailing, totalLines, startLine: start, endLine: end };
}

function countLines(text: string): number {
  if (text === '') return 0;
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return text.endsWith('\n') ? count : count + 1;
}
