import { BerthError } from '../errors.js';
import { SYNC_MODE_MASK, type SyncEntry } from '../workspace/sync-tree/entry.js';

const DIGEST = /^[0-9a-f]{64}$/;

/** An entry as the ancestor table keeps it (JSON text). */
export function encodeEntry(entry: SyncEntry): string {
  return JSON.stringify(entry);
}

/** An entry read back from the table; a row that is not one is a corrupt store, said plainly. */
export function decodeEntry(text: string, path: string): SyncEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const entry = value as Partial<SyncEntry> | undefined;
  const mode = (m: unknown) => typeof m === 'number' && Number.isInteger(m) && (m & ~SYNC_MODE_MASK) === 0;
  if (
    entry?.kind === 'file' &&
    mode(entry.mode) &&
    Number.isSafeInteger(entry.size) &&
    DIGEST.test(entry.digest ?? '')
  )
    return { kind: 'file', mode: entry.mode!, size: entry.size!, digest: entry.digest! };
  if (entry?.kind === 'dir' && mode(entry.mode)) return { kind: 'dir', mode: entry.mode! };
  if (entry?.kind === 'link' && typeof entry.target === 'string')
    return { kind: 'link', target: entry.target };
  throw new BerthError(
    'STORE_CORRUPT',
    `the sync ancestor in berth's store has an unreadable entry for ${JSON.stringify(path)}; ` +
      'run `berth sync reset <project>` to start that pair again from a first sync (nothing is deleted)',
  );
}
