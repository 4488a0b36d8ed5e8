import type { BerthErrorCode } from '../errors.js';

/**
 * The HTTP status for each error code: the one place a status is chosen. Services throw
 * BerthErrors by meaning; an HTTP server answers with `statusFor(err.code)`. A `Record` over
 * every code, so a new code does not compile until it has a status here.
 */
export const ERROR_STATUS: Readonly<Record<BerthErrorCode, number>> = {
  // the request is wrong: fixing it is the caller's job
  INVALID_ARGUMENT: 400,
  EMPTY_COMMAND: 400,
  PATH_INVALID: 400,
  // a path that leaves its root (a `cwd` of `../x`) is a bad field; the ops API has always said 400
  PATH_REFUSED: 400,
  SEARCH_FAILED: 400,
  UNAUTHORIZED: 401,
  // the request is understood and refused by policy
  POLICY_DENIED: 403,
  // a name that names nothing
  UNKNOWN_PROJECT: 404,
  UNKNOWN_SESSION: 404,
  NOT_FOUND: 404,
  // the request conflicts with the current state of what it names
  NOT_RUNNING: 409,
  SESSION_ENDED: 409,
  SYNC_HALTED: 409,
  NOT_SYNCED: 409,
  NO_APP: 409,
  STORE_CORRUPT: 500,
  ALREADY_EXISTS: 409,
  FOLDER_BUSY: 409,
  MASS_DELETE: 409,
  EDIT_FAILED: 409,
  NOT_A_FILE: 409,
  NOT_A_FOLDER: 409,
  IS_A_FOLDER: 409,
  TOO_LARGE: 413,
  BINARY_FILE: 415,
  // the client went away or asked to stop (nginx's and Google's "client closed request")
  CANCELLED: 499,
  // berth's own setup, or a step of its own that failed
  CONFIG_NOT_FOUND: 500,
  CONFIG_INVALID: 500,
  UP_FAILED: 500,
  GIT_FAILED: 500,
  UNSUPPORTED: 501,
  // a tool berth drives answered with a failure, or with something outside the protocol
  ENGINE_ERROR: 502,
  BUILD_FAILED: 502,
  PROTOCOL_ERROR: 502,
  // something berth needs does not answer (yet)
  ENGINE_UNREACHABLE: 503,
  SIDECAR_UNREACHABLE: 503,
  SYNC_AGENT_GONE: 503,
  IMAGE_UNAVAILABLE: 503,
  NOT_READY: 503,
};

export function statusFor(code: BerthErrorCode): number {
  return ERROR_STATUS[code];
}
