import { BerthError } from '../../errors.js';
import type { SyncPath } from '../../workspace/sync-tree/entry.js';
import type { Side } from './types.js';
import { childOf, nameOf, parentOf } from './sync-paths.js';

/** Linux's limit on one name, in bytes: a longer copy name could not be created at all. */
const NAME_MAX = 255;
/** A bound on `-2`, `-3`...: a `taken` that says yes forever must not hang the cycle. */
const MAX_TRIES = 10_000;

/**
 * Where a conflict's losing version is kept: `<dir>/<name>.berth-conflict-<side>-<stamp>`, with
 * `-2`, `-3`... when that is taken. The name is shortened (never the suffix, which says what the
 * file is) when the whole would pass NAME_MAX, cutting before a UTF-8 sequence rather than
 * through it.
 */
export function conflictCopyName(
  path: SyncPath,
  side: Side,
  stamp: string,
  taken: (p: SyncPath) => boolean,
): SyncPath {
  if (path === '') {
    throw new BerthError(
      'INVALID_ARGUMENT',
      'The sync root has no conflict copy: it is a folder on both sides.',
    );
  }
  checkStamp(stamp);
  const dir = parentOf(path);
  const name = nameOf(path);
  for (let n = 1; n <= MAX_TRIES; n++) {
    const suffix = `.berth-conflict-${side}-${stamp}${n === 1 ? '' : `-${n}`}`;
    if (suffix.length >= NAME_MAX) {
      throw new BerthError(
        'INVALID_ARGUMENT',
        `A conflict stamp of ${stamp.length} bytes leaves no room for the name.`,
        {
          stamp,
        },
      );
    }
    const candidate = childOf(dir, fitName(name, NAME_MAX - suffix.length) + suffix);
    if (!taken(candidate)) return candidate;
  }
  throw new BerthError(
    'ALREADY_EXISTS',
    `No free conflict copy name for ${JSON.stringify(path)} after ${MAX_TRIES} tries.`,
    {
      path,
    },
  );
}

/** A stamp becomes part of a name: nothing in it may make a path or be invisible. */
export function checkStamp(stamp: string): void {
  if (!/^[0-9A-Za-z._-]+$/.test(stamp)) {
    throw new BerthError(
      'INVALID_ARGUMENT',
      `A conflict stamp must be letters, digits, '.', '_' or '-' (got ${JSON.stringify(stamp)}).`,
      { stamp },
    );
  }
}

/** The name cut to at most `max` bytes, never inside a UTF-8 sequence. */
function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  let cut = max;
  // a continuation byte (10xxxxxx) at the cut means the sequence began before it: drop it whole
  while (cut > 0 && (name.charCodeAt(cut) & 0xc0) === 0x80) cut--;
  return name.slice(0, cut);
}
