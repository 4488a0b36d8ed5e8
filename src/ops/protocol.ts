import { BerthError } from '../errors.js';

/**
 * The ops side-car's wire protocol, in one place for the server, the client, the tests and the
 * bench: the body of `POST /run`, the events of its NDJSON answer, and how both are encoded.
 */

/** The body of `POST /run`, as the API spells it. */
export interface RunBody {
  target: string;
  command: string | string[];
  cwd?: string;
  env?: Record<string, string>;
  timeout_ms?: number;
  max_output_bytes?: number;
}

/** The same request, as the service takes it. */
export interface RunRequest {
  target: string;
  command: string | string[];
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Bytes of each stream sent to the client (default 1 MiB); the rest is dropped and marked. */
  maxOutputBytes?: number;
}

export interface ExitEvent {
  type: 'exit';
  code: number;
  duration_ms: number;
  timed_out: boolean;
  truncated: boolean;
}

/** One event of a run, with its output as bytes. */
export type RunEvent =
  | { type: 'start'; run_id: string }
  | { type: 'stdout'; data: Buffer }
  | { type: 'stderr'; data: Buffer }
  | ExitEvent;

const FIELDS = new Set(['target', 'command', 'cwd', 'env', 'timeout_ms', 'max_output_bytes']);
const MAX_TIMEOUT_MS = 24 * 3600 * 1000;
const MAX_OUTPUT_BYTES = 4 * 1024 ** 3;

/** Validates a `POST /run` body field by field; the INVALID_ARGUMENT names the field. */
export function parseRunBody(body: unknown): RunRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw bad('body', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).find((k) => !FIELDS.has(k));
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
  if (b.timeout_ms !== undefined) request.timeoutMs = positiveInt(b.timeout_ms, 'timeout_ms', MAX_TIMEOUT_MS);
  if (b.max_output_bytes !== undefined) {
    request.maxOutputBytes = positiveInt(b.max_output_bytes, 'max_output_bytes', MAX_OUTPUT_BYTES);
  }
  return request;
}

/** The wire body for a request (the inverse of parseRunBody). */
export function runBody(req: RunRequest): RunBody {
  return {
    target: req.target,
    command: req.command,
    ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
    ...(req.env !== undefined ? { env: req.env } : {}),
    ...(req.timeoutMs !== undefined ? { timeout_ms: req.timeoutMs } : {}),
    ...(req.maxOutputBytes !== undefined ? { max_output_bytes: req.maxOutputBytes } : {}),
  };
}

function positiveInt(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    throw bad(field, `must be a whole number from 1 to ${max}`);
  }
  return value;
}

function bad(field: string, why: string): BerthError {
  return new BerthError('INVALID_ARGUMENT', `${field} ${why}`, { field });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * One event per line. Output that is valid UTF-8 without control bytes travels as text; other
 * bytes as base64 (`"encoding":"base64"`), which costs 4/3 instead of JSON's six-fold \\u0000.
 */
export function encodeEvent(event: RunEvent): string {
  if (event.type !== 'stdout' && event.type !== 'stderr') return `${JSON.stringify(event)}\n`;
  const text = asText(event.data);
  return text === undefined
    ? `${JSON.stringify({ type: event.type, data: event.data.toString('base64'), encoding: 'base64' })}\n`
    : `${JSON.stringify({ type: event.type, data: text })}\n`;
}

function asText(data: Buffer): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch {
    return undefined;
  }
  return CONTROL.test(text) ? undefined : text;
}

/** One NDJSON line back into an event; anything that is not one is a PROTOCOL_ERROR. */
export function decodeEvent(line: string): RunEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw malformed(line, 'is not JSON');
  }
  const e = (value ?? {}) as Record<string, unknown>;
  if (e.type === 'start' && typeof e.run_id === 'string') return { type: 'start', run_id: e.run_id };
  if ((e.type === 'stdout' || e.type === 'stderr') && typeof e.data === 'string') {
    if (e.encoding !== undefined && e.encoding !== 'base64') throw malformed(line, 'has an unknown encoding');
    return { type: e.type, data: Buffer.from(e.data, e.encoding === 'base64' ? 'base64' : 'utf8') };
  }
  if (
    e.type === 'exit' &&
    typeof e.code === 'number' &&
    typeof e.duration_ms === 'number' &&
    typeof e.timed_out === 'boolean' &&
    typeof e.truncated === 'boolean'
  ) {
    return {
      type: 'exit',
      code: e.code,
      duration_ms: e.duration_ms,
      timed_out: e.timed_out,
      truncated: e.truncated,
    };
  }
  throw malformed(line, 'is not a start, output or exit event');
}

function malformed(line: string, why: string): BerthError {
  return new BerthError('PROTOCOL_ERROR', `the side-car sent an event that ${why}: ${line.slice(0, 200)}`);
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines without decoding it as a whole: NDJSON escapes every newline
 * inside a value, so a raw 0x0a only ever ends an event. Chunks may cut lines (and UTF-8
 * sequences) anywhere; a line is decoded once it is complete. Empty lines are skipped.
 */
export class NdjsonDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** The lines this chunk completes, in order. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      const tail = chunk.subarray(start, nl);
      const line = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
      this.pending = [];
      this.pendingBytes = 0;
      if (line.length > 0) lines.push(line.toString('utf8'));
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
    }
    return lines;
  }

  /** Bytes after the last newline: an unfinished line. */
  get leftover(): number {
    return this.pendingBytes;
  }
}
