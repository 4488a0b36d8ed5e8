import { BerthError } from '../errors.js';

const MAX_PATH_LENGTH = 4096;

/**
 * Turns an agent-supplied path into components below the project root. Refuses absolute paths,
 * NUL bytes and any `..` that would climb above the root; `a/../b` is fine. "" and "." are the
 * root itself (no components). Error messages quote only what the caller gave.
 */
export function pathComponents(input: string): string[] {
  if (input.includes('\0')) throw refused(input, 'contains a NUL byte');
  if (input.length > MAX_PATH_LENGTH) throw refused(input.slice(0, 80), 'is too long');
  if (input.startsWith('/')) {
    // not quoted: an absolute path may be a host path
    throw new BerthError(
      'PATH_REFUSED',
      'the path is absolute; give a path relative to the project root, like "src/index.ts"',
    );
  }
  const out: string[] = [];
  for (const part of input.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw refused(input, 'leaves the project; give a path inside the project root');
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

export function displayPath(components: string[]): string {
  return components.length === 0 ? '.' : components.join('/');
}

export function refused(path: string, why: string): BerthError {
  return new BerthError('PATH_REFUSED', `path "${path}" ${why}`, { path });
}
