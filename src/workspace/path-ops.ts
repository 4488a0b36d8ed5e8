import * as fs from 'node:fs';
import { basename, dirname } from 'node:path';
import { errnoOf } from '../errors.js';
import { fdTarget, inDir, openChildDir, openRoot, removeTreeIn } from './fd-dir.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/**
 * Operations on a path berth names itself (a runner folder, a sandbox, its trash, a socket),
 * carried out through fds like every other walk: the path's parent is opened, and everything
 * below it is reached with O_NOFOLLOW, so a link a container planted inside is never followed.
 */

/** Removes the file, link or whole tree at `path`, never following a link; nothing there is fine. */
export function removePath(path: string): void {
  const parent = openParent(path);
  if (parent === undefined) return;
  try {
    removeTreeIn(parent, basename(path));
  } finally {
    fs.closeSync(parent);
  }
}

/** removePath without blocking the event loop: one folder's entries at a time. */
export async function removePathAsync(path: string): Promise<void> {
  const parent = openParent(path);
  if (parent === undefined) return;
  try {
    await removeTreeInAsync(parent, Buffer.from(basename(path)));
  } finally {
    fs.closeSync(parent);
  }
}

/** The names in the folder at `path`, sorted, read through an fd of it. */
export function listFolder(path: string): string[] {
  const fd = openRoot(path);
  try {
    return fs.readdirSync(fdTarget(fd)).sort();
  } finally {
    fs.closeSync(fd);
  }
}

/** Hands the folder at `path` itself (not its contents) to uid:gid, refusing a link. */
export function chownFolder(path: string, uid: number, gid: number): void {
  const fd = fs.openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    fs.fchownSync(fd, uid, gid);
  } finally {
    fs.closeSync(fd);
  }
}

function openParent(path: string): number | undefined {
  try {
    return openRoot(dirname(path));
  } catch {
    return undefined;
  }
}

async function removeTreeInAsync(dirFd: number, name: Buffer): Promise<void> {
  const child = openChildDir(dirFd, name);
  if (child === undefined) {
    try {
      await fs.promises.unlink(inDir(dirFd, name));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
    return;
  }
  try {
    const names = await fs.promises.readdir(fdTarget(child), { encoding: 'buffer' });
    for (const entry of names) await removeTreeInAsync(child, entry);
  } finally {
    fs.closeSync(child);
  }
  await fs.promises.rmdir(inDir(dirFd, name));
}
