import { BerthError } from '../errors.js';
import type { SyncPath } from '../workspace/sync-tree/entry.js';

/**
 * A path as a person or an agent types it (UTF-8, relative to the project, `./` and a trailing
 * `/` allowed) → the byte string sync keys paths by. `..`, empty parts and NUL are refused.
 */
export function syncPathFromText(text: string): SyncPath {
  const trimmed = text.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  if (
    trimmed === '' ||
    trimmed.includes('\0') ||
    trimmed.split('/').some((p) => p === '' || p === '.' || p === '..')
  )
    throw new BerthError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(text)}: give a path inside the project, e.g. src/app.ts`,
    );
  return Buffer.from(trimmed, 'utf8').toString('latin1');
}
