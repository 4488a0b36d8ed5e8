/**
 * The host's checks on everything the agent says. The agent runs beside a volume a container
 * can write, so its answers are hostile input: every field is checked for type, range and
 * shape before anything else sees it, and the first violation ends the connection.
 */
import { BerthError } from '../../errors.js';
import type {
  OpResult,
  ReplicaIdentity,
  ScanProblem,
  SyncEntry,
  SyncPath,
} from '../../workspace/sync-tree/entry.js';
import { DIGEST_PATTERN } from '../../workspace/sync-tree/digest-cache.js';
import { SYNC_MODE_MASK } from '../../workspace/sync-tree/entry.js';
import type { StageResult, WatchHint } from '../../workspace/sync-tree/replica.js';

/** Linux's PATH_MAX: no path or link target the agent reports can be longer. */
const MAX_PATH_BYTES = 4096;
const MAX_TEXT = 4096;

export function violation(what: string): BerthError {
  return new BerthError('PROTOCOL_ERROR', `the sync agent sent ${what}; the connection is closed`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A byte string (one char per byte) with no NUL, at most `max` bytes. */
function isByteString(value: unknown, max: number): value is string {
  if (typeof value !== 'string' || value.length > max) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0 || code > 0xff) return false;
  }
  return true;
}

/** A SyncPath as entry.ts defines it: '' or `/`-separated components, none empty, `.` or `..`. */
export function checkWirePath(value: unknown): SyncPath {
  if (!isByteString(value, MAX_PATH_BYTES)) throw violation('a path that is not a byte string without NUL');
  if (value === '') return value;
  for (const part of value.split('/'))
    if (part === '' || part === '.' || part === '..')
      throw violation(`a malformed path ${JSON.stringify(value.slice(0, 200))}`);
  return value;
}

export function checkDigest(value: unknown): string {
  if (typeof value !== 'string' || !DIGEST_PATTERN.test(value))
    throw violation('a digest that is not 64 lowercase hex digits');
  return value;
}

export function checkText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw violation(`${what} that is not a string`);
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
}

function checkMode(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > SYNC_MODE_MASK)
    throw violation('a mode outside 0..0o777');
  return value as number;
}

export function checkEntry(value: unknown): SyncEntry {
  if (!isRecord(value)) throw violation('an entry that is not an object');
  switch (value.kind) {
    case 'file': {
      const size = value.size;
      if (!Number.isSafeInteger(size) || (size as number) < 0)
        throw violation('a file size that is not a count of bytes');
      return {
        kind: 'file',
        mode: checkMode(value.mode),
        size: size as number,
        digest: checkDigest(value.digest),
      };
    }
    case 'dir':
      return { kind: 'dir', mode: checkMode(value.mode) };
    case 'link':
      if (!isByteString(value.target, MAX_PATH_BYTES) || value.target === '')
        throw violation('a link target that is empty, too long or holds NUL');
      return { kind: 'link', target: value.target };
    default:
      throw violation('an entry of an unknown kind');
  }
}

export function checkProblem(value: unknown): ScanProblem {
  if (!isRecord(value)) throw violation('a scan problem that is not an object');
  return { path: checkWirePath(value.path), reason: checkText(value.reason, 'a problem reason') };
}

export function checkIdentity(value: unknown): ReplicaIdentity {
  if (!isRecord(value)) throw violation('an identity that is not an object');
  const short = (v: unknown, what: string) => {
    if (typeof v !== 'string' || v === '' || v.length > 512)
      throw violation(`an identity ${what} that is not a short string`);
    return v;
  };
  const identity: ReplicaIdentity = {
    marker: short(value.marker, 'marker'),
    root: short(value.root, 'root'),
  };
  if (value.engine !== undefined) identity.engine = short(value.engine, 'engine id');
  return identity;
}

const FAILURE_REASONS = new Set(['changed', 'missing-content', 'error']);

export function checkOpResult(value: unknown): OpResult {
  if (!isRecord(value)) throw violation('an op result that is not an object');
  if (value.ok === true) return { ok: true, entry: value.entry === null ? null : checkEntry(value.entry) };
  if (value.ok === false && typeof value.reason === 'string' && FAILURE_REASONS.has(value.reason))
    return {
      ok: false,
      reason: value.reason as 'changed' | 'missing-content' | 'error',
      detail: checkText(value.detail, 'an op failure detail'),
    };
  throw violation('an op result that is neither done nor a known failure');
}

/** A stage's answer, naming only digests this stage sent. */
export function checkStageResult(value: unknown, sent: ReadonlySet<string>): StageResult {
  if (!isRecord(value) || !Array.isArray(value.staged) || !Array.isArray(value.failed))
    throw violation('a stage result that is not { staged, failed }');
  const known = (digest: string) => {
    if (!sent.has(digest)) throw violation('a stage result naming content this stage did not send');
    return digest;
  };
  return {
    staged: value.staged.map((d) => known(checkDigest(d))),
    failed: value.failed.map((f: unknown) => {
      if (!isRecord(f)) throw violation('a stage failure that is not an object');
      return { digest: known(checkDigest(f.digest)), reason: checkText(f.reason, 'a stage failure reason') };
    }),
  };
}

/** Hints name at most this many paths; a longer list is sent as `all`. */
const MAX_HINT_PATHS = 100_000;

export function checkHint(value: unknown): WatchHint {
  if (!isRecord(value)) throw violation('a hint that is not an object');
  if (value.all === true) return { all: true, reason: checkText(value.reason, 'a hint reason') };
  if (!Array.isArray(value.paths) || value.paths.length > MAX_HINT_PATHS)
    throw violation('a hint without a short list of paths');
  return { paths: value.paths.map(checkWirePath) };
}

/** A JSON body, parsed; anything that is not JSON is a violation. */
export function parseBody(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw violation(`${what} that is not JSON`);
  }
}

export function isRecordValue(value: unknown): value is Record<string, unknown> {
  return isRecord(value);
}
