import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../../errors.js';
import { inDir, openChildDir } from '../fd-dir.js';
import { SYNC_STATE_DIR } from './entry.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** The open folders of `.berth-sync` at a root: the state folder, its stage and its attic. */
export interface StateDirs {
  fd: number;
  stage: number;
  attic: number;
}

/**
 * Opens (making them when absent) `.berth-sync`, `stage/` and `attic/`, never through a link,
 * and writes a `.gitignore` of `*` so git leaves the folder alone. A link or file in their
 * place (the other side may have put one there) is refused, not followed.
 */
export function openStateDirs(rootFd: number): StateDirs {
  const state = openOwn(rootFd, SYNC_STATE_DIR);
  try {
    writeIfAbsent(state, '.gitignore', '*\n');
    const stage = openOwn(state, 'stage', SYNC_STATE_DIR);
    try {
      const attic = openOwn(state, 'attic', SYNC_STATE_DIR);
      return { fd: state, stage, attic };
    } catch (err) {
      fs.closeSync(stage);
      throw err;
    }
  } catch (err) {
    fs.closeSync(state);
    throw err;
  }
}

export function closeStateDirs(dirs: StateDirs): void {
  for (const fd of [dirs.attic, dirs.stage, dirs.fd]) fs.closeSync(fd);
}

function openOwn(dirFd: number, name: string, under?: string): number {
  const fd = openChildDir(dirFd, name, 0o700);
  if (fd === undefined) {
    const shown = under ? `${under}/${name}` : name;
    throw new BerthError(
      'PATH_REFUSED',
      `the sync state folder "${shown}" is a link or not a folder; berth does not follow it`,
      {
        path: shown,
      },
    );
  }
  return fd;
}

/** Creates a small file only when nothing is at that name (O_EXCL: never through a link). */
export function writeIfAbsent(dirFd: number, name: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(inDir(dirFd, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}
