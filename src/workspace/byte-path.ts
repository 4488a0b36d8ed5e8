import { isUtf8 } from 'node:buffer';

/**
 * Paths as bytes. Linux file names are byte strings; decoding one that is not UTF-8 into a JS
 * string loses it (`\377` becomes U+FFFD), so code that walks or rewrites a tree carries names
 * as Buffers and turns them into text only to show them.
 */
export type NameBytes = Buffer;

const SLASH = 0x2f;

/** `a/b/c` from its components. */
export function joinBytes(parts: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  parts.forEach((part, i) => {
    if (i > 0) out.push(Buffer.from([SLASH]));
    out.push(part);
  });
  return Buffer.concat(out);
}

/** The components of a relative path; empty ones (`a//b`, a trailing slash) are dropped. */
export function splitBytes(path: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === SLASH) {
      if (i > start) out.push(path.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** A path for people: itself when it is UTF-8, otherwise with each stray byte as `\xNN`. */
export function showBytes(path: Buffer): string {
  if (isUtf8(path)) return path.toString('utf8');
  let out = '';
  let i = 0;
  while (i < path.length) {
    const len = utf8SequenceLength(path, i);
    if (len > 0) {
      out += path.subarray(i, i + len).toString('utf8');
      i += len;
    } else {
      out += `\\x${path[i]!.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** A lossless string key for a byte path (for maps and sets); not for display. */
export function bytesKey(path: Buffer): string {
  return path.toString('latin1');
}

export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** True when `name` is `.git` in any letter case (git itself treats `.GIT` as `.git` on some systems). */
export function isGitName(name: Buffer | string): boolean {
  const text = typeof name === 'string' ? name : name.length === 4 ? name.toString('latin1') : '';
  return text.toLowerCase() === '.git';
}

function utf8SequenceLength(buf: Buffer, at: number): number {
  for (const len of [1, 2, 3, 4]) {
    if (at + len > buf.length) break;
    if (isUtf8(buf.subarray(at, at + len))) return len;
  }
  return 0;
}
