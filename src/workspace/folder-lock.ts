import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { BerthError, errnoOf } from '../errors.js';

import { processAlive } from './process-alive.js';

const DEFAULT_WAIT_MS = 120_000;
const POLL_MS = 50;

/** The locks the current async call chain holds: taking one of them again is a no-op. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

interface LockHolder {
  pid: number;
  what: string;
  at: string;
}

export interface FolderLockOptions {
  /** How long to wait for a live holder before giving up (default 2 minutes). */
  waitMs?: number;
}

/** A name for a host folder that two spellings of it share: a hash of its real path. */
export function folderKey(hostPath: string): string {
  let real = hostPath;
  try {
    real = fs.realpathSync(hostPath);
  } catch {
    // a folder that is gone is still locked by the name it was given
  }
  return createHash('sha256').update(real).digest('hex').slice(0, 32);
}

/**
 * Runs `fn` holding the lock of one host folder, so apply, merge, rollback and sync never
 * change the same folder at once. The lock is a file made with O_EXCL under `<home>/locks/`,
 * holding the holder's pid and what it is doing; a lock whose pid is dead is stale and taken
 * over. A live holder makes this wait (up to `waitMs`), then fail naming the holder. Inside
 * `fn`, taking the same folder's lock again (recovery during an apply) just runs.
 */
export async function withFolderLock<T>(
  home: string,
  hostPath: string,
  what: string,
  fn: () => Promise<T>,
  options: FolderLockOptions = {},
): Promise<T> {
  const dir = join(home, 'locks');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = folderKey(hostPath);
  const mine0 = held.getStore();
  if (mine0?.has(key)) return fn();
  const file = join(dir, `${key}.lock`);
  const mine: LockHolder = { pid: process.pid, what, at: new Date().toISOString() };
  const text = JSON.stringify(mine);
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
  for (;;) {
    if (tryCreate(file, text)) break;
    const holder = readHolder(file);
    if (holder !== undefined && !processAlive(holder.pid)) {
      takeOverStale(file, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `${holder.what} (pid ${holder.pid}, since ${holder.at})` : 'another berth process';
      throw new BerthError(
        'FOLDER_BUSY',
        `the project folder is busy: ${who} holds its lock; try again when it has finished`,
        { holder },
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    return await held.run(new Set([...(mine0 ?? []), key]), fn);
  } finally {
    // only our own lock is removed (a stale take-over elsewhere never removes a live one)
    if (fs.readFileSync(file, 'utf8') === text) fs.unlinkSync(file);
  }
}

function tryCreate(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    // no fsync: after a power cut every holder is gone, and the lock is stale anyway
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return { pid: 0, what: 'an unreadable lock', at: '?' };
    return { pid: parsed.pid, what: String(parsed.what ?? '?'), at: String(parsed.at ?? '?') };
  } catch (err) {
    // gone meanwhile, or being written right now: look again
    if (errnoOf(err) === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/**
 * Moves a stale lock aside under a private name, then checks that what was moved is still the
 * stale holder's; if another process took the lock over meanwhile, its lock is put back.
 */
function takeOverStale(file: string, stale: LockHolder): void {
  const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw err;
  }
  const moved = readHolder(aside);
  if (moved && (moved.pid !== stale.pid || moved.at !== stale.at)) {
    try {
      fs.linkSync(aside, file);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
  }
  fs.unlinkSync(aside);
}
