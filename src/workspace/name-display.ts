import { isUtf8 } from 'node:buffer';
import { showBytes } from './byte-path.js';

/**
 * How a file name is shown to an agent. Names are bytes; two of them can look the same and
 * differ (`café` composed, NFC, and `cafe` + U+0301, NFD), or not be UTF-8 at all. Such names get
 * an escaped form, a JSON string body in which every code point that makes the difference is a
 * `\uXXXX` escape (combining marks, code points NFC changes, invisible and control characters),
 * a backslash is `\\`, and a byte that is not UTF-8 is `\xNN`.
 */
export interface ShownName {
  /** The name as text: itself when UTF-8, otherwise with each stray byte as `\xNN`. */
  text: string;
  /** Set only when the name is not plain: not NFC, invisible characters, or not UTF-8. */
  escaped?: string;
  /** The bytes are not UTF-8: the file tools cannot name it (run_command can). */
  notUtf8?: boolean;
}

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/u;
const MARK = /\p{M}/u;

export function showName(bytes: Buffer): ShownName {
  if (!isUtf8(bytes)) {
    const text = showBytes(bytes);
    return { text, escaped: text, notUtf8: true };
  }
  const text = bytes.toString('utf8');
  return plainName(text) ? { text } : { text, escaped: escapeLookAlikes(text) };
}

/** True when the text is NFC and has no invisible characters: it reads as what it is. */
export function plainName(text: string): boolean {
  if (/^[\x20-\x7e]*$/.test(text)) return true;
  return text.normalize('NFC') === text && !INVISIBLE.test(text);
}

/** `text` with the code points that make look-alikes differ as `\uXXXX` (UTF-16 units). */
export function escapeLookAlikes(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (MARK.test(ch) || INVISIBLE.test(ch) || ch.normalize('NFC') !== ch) out += unicodeEscape(ch);
    else out += ch;
  }
  return out;
}

function unicodeEscape(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}
