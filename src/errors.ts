/**
 * Every error code berth uses, each naming what went wrong (not where). Programs branch on the
 * code; the HTTP edge maps it to a status (http/error-status.ts).
 */
export const BERTH_ERROR_CODES = [
  // the request itself
  'INVALID_ARGUMENT',
  'EMPTY_COMMAND',
  'UNAUTHORIZED',
  'POLICY_DENIED',
  'CANCELLED',
  'UNSUPPORTED',
  // configuration
  'CONFIG_NOT_FOUND',
  'CONFIG_INVALID',
  // things looked up by name
  'UNKNOWN_PROJECT',
  'UNKNOWN_SESSION',
  'NOT_FOUND',
  // paths and files
  'PATH_INVALID',
  'PATH_REFUSED',
  'NOT_A_FILE',
  'NOT_A_FOLDER',
  'IS_A_FOLDER',
  'TOO_LARGE',
  'BINARY_FILE',
  'ALREADY_EXISTS',
  'EDIT_FAILED',
  'SEARCH_FAILED',
  'MASS_DELETE',
  'FOLDER_BUSY',
  // state
  'NOT_RUNNING',
  'NOT_READY',
  'SESSION_ENDED',
  'SYNC_HALTED',
  'NOT_SYNCED',
  // a team repository in which detection found nothing to run (or every app is disabled)
  'NO_APP',
  'STORE_CORRUPT',
  // the tools berth drives
  'IMAGE_UNAVAILABLE',
  'BUILD_FAILED',
  'UP_FAILED',
  'GIT_FAILED',
  'ENGINE_UNREACHABLE',
  'ENGINE_ERROR',
  'SIDECAR_UNREACHABLE',
  'PROTOCOL_ERROR',
  'SYNC_AGENT_GONE',
] as const;

/** Local errors: a string code for programs, a sentence for people, structured fields for both. */
export type BerthErrorCode = (typeof BERTH_ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(BERTH_ERROR_CODES);

export function isBerthErrorCode(value: unknown): value is BerthErrorCode {
  return typeof value === 'string' && KNOWN_CODES.has(value);
}

export class BerthError extends Error {
  override readonly name = 'BerthError';
  constructor(
    readonly code: BerthErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: BerthErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isBerthError(err: unknown, code?: BerthErrorCode): err is BerthError {
  return err instanceof BerthError && (code === undefined || err.code === code);
}

/** The `code` of a Node system error (`ENOENT`, `EEXIST`, …), or undefined for anything else. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short, single-line description of any thrown value, for wrapping engine errors. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const json = (err as { json?: { message?: unknown } }).json;
    const engineMessage = json && typeof json.message === 'string' ? json.message : undefined;
    return (engineMessage ?? err.message).replace(/\s+/g, ' ').trim();
  }
  return String(err);
}
