import type { RunRequest } from '../ops-service.js';
import { OpsError } from '../ops-error.js';

/** Validates a POST /run body field by field; a 400 names the field. */
export function parseRunBody(body: unknown): RunRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw bad('body', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  const allowed = new Set(['target', 'command', 'cwd', 'env', 'timeout_ms', 'max_output_bytes']);
  const unknown = Object.keys(b).find((k) => !allowed.has(k));
  if (unknown !== undefined) throw bad(unknown, 'is not a known field');
  if (typeof b.target !== 'string' || b.target === '')
    throw bad('target', 'is required: project:<name> or service:<project>/<service>');
  const command = b.command;
  const isArgv = Array.isArray(command) && command.length > 0 && command.every((a) => typeof a === 'string');
  if (!(typeof command === 'string' && command.trim() !== '') && !isArgv) {
    throw bad('command', 'is required: a shell command string or a non-empty array of strings');
  }
  const request: RunRequest = { target: b.target, command: command as string | string[] };
  if (b.cwd !== undefined) {
    if (typeof b.cwd !== 'string') throw bad('cwd', 'must be a string');
    request.cwd = b.cwd;
  }
  if (b.env !== undefined) {
    const env = b.env;
    if (
      env === null ||
      typeof env !== 'object' ||
      Array.isArray(env) ||
      Object.values(env).some((v) => typeof v !== 'string')
    ) {
      throw bad('env', 'must be an object of strings');
    }
    request.env = env as Record<string, string>;
  }
  if (b.timeout_ms !== undefined)
    request.timeoutMs = positiveInt(b.timeout_ms, 'timeout_ms', 24 * 3600 * 1000);
  if (b.max_output_bytes !== undefined) {
    request.maxOutputBytes = positiveInt(b.max_output_bytes, 'max_output_bytes', 4 * 1024 ** 3);
  }
  return request;
}

function positiveInt(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    throw bad(field, `must be a whole number from 1 to ${max}`);
  }
  return value;
}

function bad(field: string, why: string): OpsError {
  return new OpsError(400, 'INVALID_ARGUMENT', `${field} ${why}`);
}
