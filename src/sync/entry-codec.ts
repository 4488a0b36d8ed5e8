import { BerthError } from '../errors.js';
import type { SyncEntry } from '../workspace/sync-tree/entry.js';
import { checkEntry } from './protocol/validate.js';

/** An entry as the ancestor table keeps it (JSON text). */
export function encodeEntry(entry: SyncEntry): string {
  return JSON.stringify(entry);
}

/**
 * An entry read back from the table, held to the same shape as one from the agent; a row that
 * is not one is a corrupt store, said plainly.
 */
export function decodeEntry(text: string, path: string): SyncEntry {
  try {
    return checkEntry(JSON.parse(text));
  } catch {
    throw new BerthError(
      'STORE_CORRUPT',
      `the sync ancestor in berth's store has an unreadable entry for ${JSON.stringify(path)}; ` +
        "delete this project's rows from the sync_ancestor table of berth.db in BERTH_HOME, and the " +
        'next cycle is a first sync (differences become conflicts, nothing is deleted)',
    );
  }
}
