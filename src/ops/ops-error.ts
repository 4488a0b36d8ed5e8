import { BerthError, type BerthErrorCode } from '../errors.js';

/** A refusal with the HTTP status it maps to; nothing has been executed when one is thrown. */
export class OpsError extends BerthError {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    code: BerthErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
