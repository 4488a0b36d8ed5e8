import { BerthError, describeError } from '../../errors.js';
import type { Labels } from '../container-runtime.js';

export function labelFilter(labels: Labels): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

/** The HTTP status of a dockerode error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function engineError(action: string, err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  return new BerthError('ENGINE_ERROR', `the engine refused ${action}: ${describeError(err)}`, {
    status: statusOf(err),
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
