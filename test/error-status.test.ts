import { describe, expect, it } from 'vitest';
import { BERTH_ERROR_CODES, BerthError, errnoOf, isBerthErrorCode } from '../src/errors.js';
import { ERROR_STATUS, statusFor } from '../src/http/error-status.js';

/** Engine-free: every code has one HTTP status, and the ops API's refusals keep theirs. */
describe('the error code → HTTP status table', () => {
  it('covers every code, and only codes, each with a 4xx or 5xx status', () => {
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...BERTH_ERROR_CODES].sort());
    expect(new Set(BERTH_ERROR_CODES).size).toBe(BERTH_ERROR_CODES.length);
    for (const code of BERTH_ERROR_CODES) {
      const status = statusFor(code);
      expect(Number.isInteger(status) && status >= 400 && status <= 599, `${code} → ${status}`).toBe(true);
    }
  });

  it('keeps the statuses the ops API has always answered', () => {
    expect(statusFor('INVALID_ARGUMENT')).toBe(400);
    expect(statusFor('EMPTY_COMMAND')).toBe(400);
    // a cwd that leaves the project
    expect(statusFor('PATH_REFUSED')).toBe(400);
    expect(statusFor('UNAUTHORIZED')).toBe(401);
    // target not allowed, denied command, raw container, the side-car's own container
    expect(statusFor('POLICY_DENIED')).toBe(403);
    expect(statusFor('UNKNOWN_PROJECT')).toBe(404);
    expect(statusFor('NOT_FOUND')).toBe(404);
    expect(statusFor('NOT_RUNNING')).toBe(409);
    expect(statusFor('TOO_LARGE')).toBe(413);
    expect(statusFor('ENGINE_UNREACHABLE')).toBe(503);
    expect(statusFor('SIDECAR_UNREACHABLE')).toBe(503);
  });

  it('knows its codes at run time, as the ops client needs for a refusal', () => {
    expect(isBerthErrorCode('POLICY_DENIED')).toBe(true);
    expect(isBerthErrorCode('NO_SUCH_CODE')).toBe(false);
    expect(isBerthErrorCode(403)).toBe(false);
    expect(new BerthError('GIT_FAILED', 'x').toJSON()).toEqual({
      code: 'GIT_FAILED',
      message: 'x',
      details: {},
    });
  });

  it('errnoOf reads the code of a system error only', () => {
    expect(errnoOf(Object.assign(new Error('gone'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errnoOf(new Error('plain'))).toBeUndefined();
    expect(errnoOf(null)).toBeUndefined();
    expect(errnoOf({ code: 5 })).toBeUndefined();
  });
});
