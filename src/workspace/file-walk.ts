import * as fs from 'node:fs';
import { at, errnoOf, fdPath, type ConfinedRoot } from './confined-root.js';
import { readSmallFileIn } from './fd-dir.js';
import { isGitName } from './byte-path.js';
import { GitignoreRules } from './gitignore-rules.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
const GITIGNORE_MAX = 256 * 1024;

export type EntryType = 'file' | 'folder' | 'symlink' | 'other';

export interface WalkEntry {
  /** Project-relative path. */
  path: string;
  type: EntryType;
  /** Bytes, for files; 0 otherwise. */
  size: number;
  /** The folder that holds the entry (open while the visitor runs) and its name there. */
  dirFd: number;
  name: string;
}

export interface WalkOptions {
  gitignore: boolean;
  /** Return false to stop the walk. */
  visit: (entry: WalkEntry) => boolean | void;
}

/**
 * Walks a folder tree depth-first in name order through directory fds, never following links
 * (they are reported as `symlink`). Skips `.git` (any case); honours .gitignore files when asked, including
 * those of the folders above the start.
 */
export function walkTree(root: ConfinedRoot, start: string[], options: WalkOptions): void {
  let rules = GitignoreRules.empty();
  if (options.gitignore) {
    for (let depth = 0; depth < start.length; depth++) {
      const prefix = start.slice(0, depth);
      const dir = root.openDir(prefix);
      try {
        rules = rules.with(prefix.join('/'), readSmallText(dir.fd, '.gitignore'));
      } finally {
        fs.closeSync(dir.fd);
      }
    }
  }
  const dir = root.openDir(start);
  try {
    visitFolder(dir.fd, dir.components.join('/'), rules, options);
  } finally {
    fs.closeSync(dir.fd);
  }
}

function visitFolder(fd: number, base: string, inherited: GitignoreRules, options: WalkOptions): boolean {
  const rules = options.gitignore ? inherited.with(base, readSmallText(fd, '.gitignore')) : inherited;
  const entries = fs
    .readdirSync(fdPath(fd), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (isGitName(entry.name)) continue;
    const path = base === '' ? entry.name : `${base}/${entry.name}`;
    const type: EntryType = entry.isDirectory()
      ? 'folder'
      : entry.isSymbolicLink()
        ? 'symlink'
        : entry.isFile()
          ? 'file'
          : 'other';
    if (options.gitignore && rules.ignores(path, type === 'folder')) continue;
    const size = type === 'file' ? sizeAt(fd, entry.name) : 0;
    if (options.visit({ path, type, size, dirFd: fd, name: entry.name }) === false) return false;
    if (type !== 'folder') continue;
    let child: number;
    try {
      child = fs.openSync(at(fd, entry.name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT' || code === 'EACCES') continue;
      throw err;
    }
    try {
      if (!visitFolder(child, path, rules, options)) return false;
    } finally {
      fs.closeSync(child);
    }
  }
  return true;
}

function sizeAt(fd: number, name: string): number {
  try {
    return fs.lstatSync(at(fd, name)).size;
  } catch {
    return 0;
  }
}

/** A small text file in the folder, without following links; undefined when absent or odd. */
export function readSmallText(dirFd: number, name: string, max = GITIGNORE_MAX): string | undefined {
  return readSmallFileIn(dirFd, name, max)?.toString('utf8');
}
