import { z } from 'zod';
import type { SyncOutcome } from '../deps.js';

/** In a write tool's result on a synced project: did the container get it before the answer. */
export const syncOutcomeSchema = z
  .object({
    state: z.enum(['synced', 'pending']),
    detail: z.string().optional(),
  })
  .optional()
  .describe('Synced projects only: whether the change reached the container before this answer');

export function syncLine(sync: SyncOutcome | undefined): string {
  if (!sync) return '';
  return sync.state === 'synced' ? '\n(synced to the container)' : `\n(sync pending: ${sync.detail ?? ''})`;
}
