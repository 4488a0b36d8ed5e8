import * as fs from 'node:fs';
import { inDir, lstatIn, openFileIn } from '../workspace/fd-dir.js';
import { hashBytes, hashFd, type HashAlgo } from './blob-stream.js';

/** What is at one name, as apply compares it: kind, and for files and links the git blob id. */
export type SideEntry =
  | { kind: 'file'; id: string; mode: number; size: number }
  | { kind: 'link'; id: string }
  | { kind: 'folder' }
  | { kind: 'gitlink'; id: string }
  | { kind: 'other' };

/**
 * The entry `name` inside the open folder `dirFd`, never following a link: a file is hashed
 * from its own fd (opened O_NOFOLLOW | O_NONBLOCK, so a FIFO never blocks), a link by its
 * target bytes. Undefined when nothing is there.
 */
export function readHostEntry(dirFd: number, name: Buffer, algo: HashAlgo): SideEntry | undefined {
  const st = lstatIn(dirFd, name);
  if (st === undefined) return undefined;
  if (st.isDirectory()) return { kind: 'folder' };
  if (st.isSymbolicLink()) {
    try {
      return {
        kind: 'link',
        id: hashBytes(fs.readlinkSync(inDir(dirFd, name), { encoding: 'buffer' }), algo),
      };
    } catch {
      return { kind: 'other' };
    }
  }
  if (!st.isFile()) return { kind: 'other' };
  const opened = openFileIn(dirFd, name);
  if (!opened) return { kind: 'other' };
  try {
    return { kind: 'file', id: hashFd(opened.fd, algo), mode: opened.st.mode & 0o7777, size: opened.st.size };
  } finally {
    fs.closeSync(opened.fd);
  }
}

/** Same content and kind (modes are compared apart). */
export function sameEntry(a: SideEntry | undefined, b: SideEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  if ('id' in a && 'id' in b) return a.id === b.id;
  return a.kind === 'folder';
}

export function describeEntry(e: SideEntry | undefined): string {
  if (e === undefined) return 'nothing';
  switch (e.kind) {
    case 'file':
      return 'a file';
    case 'link':
      return 'a symbolic link';
    case 'folder':
      return 'a folder';
    case 'gitlink':
      return 'a nested git repository';
    default:
      return 'a special file (FIFO, socket or device)';
  }
}
