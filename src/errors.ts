/** Local errors: a string code for programs, a sentence for people, structured fields for both. */
export type BerthErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'UNKNOWN_PROJECT'
  | 'UNKNOWN_SESSION'
  | 'PATH_INVALID'
  | 'IMAGE_UNAVAILABLE'
  | 'BUILD_FAILED'
  | 'ENGINE_UNREACHABLE'
  | 'ENGINE_ERROR'
  | 'EMPTY_COMMAND'
  | 'INVALID_ARGUMENT'
  | 'NOT_RUNNING'
  | 'UP_FAILED'
  | 'PATH_REFUSED'
  | 'NOT_FOUND'
  | 'NOT_A_FILE'
  | 'IS_A_FOLDER'
  | 'TOO_LARGE'
  | 'BINARY_FILE'
  | 'ALREADY_EXISTS'
  | 'EDIT_FAILED'
  | 'SEARCH_FAILED'
  | 'MASS_DELETE'
  | 'FOLDER_BUSY'
  | 'SESSION_ENDED'
  | 'NOT_READY';

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

/** A short, single-line description of any thrown value, for wrapping engine errors. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const json = (err as { json?: { message?: unknown } }).json;
    const engineMessage = json && typeof json.message === 'string' ? json.message : undefined;
    return (engineMessage ?? err.message).replace(/\s+/g, ' ').trim();
  }
  return String(err);
}
