import * as fs from 'node:fs';
import { inDir, listNames, openChildDir } from './fd-dir.js';

/**
 * Hands a whole tree to `uid:gid` without following a link: folders are opened with O_NOFOLLOW
 * and changed through their fd, everything else is changed with lchown inside its parent's fd.
 * A name swapped for a link mid-walk changes the link itself, which stays inside the tree.
 */
export function chownTreeFd(rootFd: number, uid: number, gid: number): void {
  fs.fchownSync(rootFd, uid, gid);
  for (const name of listNames(rootFd)) {
    const child = openChildDir(rootFd, name);
    if (child === undefined) {
      try {
        fs.lchownSync(inDir(rootFd, name), uid, gid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      continue;
    }
    try {
      chownTreeFd(child, uid, gid);
    } finally {
      fs.closeSync(child);
    }
  }
}

/** Opens `path` (a folder berth made) and hands the tree below it over. */
export function chownTreeAt(path: string, uid: number, gid: number): void {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    chownTreeFd(fd, uid, gid);
  } finally {
    fs.closeSync(fd);
  }
}
