import * as fs from 'node:fs';
import { errnoOf } from '../errors.js';
import { fdPath, type ConfinedRoot } from './confined-root.js';
import { inDir, lstatIn, readSmallFileIn } from './fd-dir.js';
import { isGitName } from './byte-path.js';
import { GitignoreRules } from './gitignore-rules.js';
import { escapeLookAlikes, showName } from './name-display.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
const GITIGNORE_MAX = 256 * 1024;

export type EntryType = 'file' | 'folder' | 'symlink' | 'other';

export interface WalkEntry {
  /** Project-relative path, as text (a byte that is not UTF-8 shows as `\xNN`). */
  path: string;
  /**
   * Set when some name on the path is not plain (not NFC, invisible characters, not UTF-8):
   * the path with those code points escaped (name-display.ts).
   */
  escaped?: string;
  /** Some name on the path is not UTF-8, so the file tools cannot name it. */
  notUtf8?: boolean;
  type: EntryType;
  /** Bytes, for files; 0 otherwise. */
  size: number;
  /** Folders between the start and the entry (1 for the start folder's own entries). */
  depth: number;
  /** The folder that holds the entry (open while the visitor runs) and its name there, as bytes. */
  dirFd: number;
  name: Buffer;
}

export interface WalkOptions {
  gitignore: boolean;
  /** Folders at this depth are visited but not entered (default: no limit). */
  maxDepth?: number;
  /** Return false to stop the walk. */
  visit: (entry: WalkEntry) => boolean | void;
}

/** Where the walk is: the folder's path as text, escaped, and whether it is odd (see WalkEntry). */
interface Base {
  path: string;
  escaped: string;
  odd: boolean;
  notUtf8: boolean;
  depth: number;
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
  const path = dir.components.join('/');
  try {
    const base = { path, escaped: escapeLookAlikes(path), odd: false, notUtf8: false, depth: 0 };
    visitFolder(dir.fd, base, rules, options);
  } finally {
    fs.closeSync(dir.fd);
  }
}

function visitFolder(fd: number, base: Base, inherited: GitignoreRules, options: WalkOptions): boolean {
  const rules = options.gitignore ? inherited.with(base.path, readSmallText(fd, '.gitignore')) : inherited;
  const entries = fs
    .readdirSync(fdPath(fd), { withFileTypes: true, encoding: 'buffer' })
    .sort((a, b) => Buffer.compare(a.name, b.name));
  const depth = base.depth + 1;
  for (const entry of entries) {
    if (isGitName(entry.name)) continue;
    const shown = showName(entry.name);
    const join = (a: string, b: string) => (a === '' ? b : `${a}/${b}`);
    const here: Base = {
      path: join(base.path, shown.text),
      escaped: join(base.escaped, shown.escaped ?? escapeLookAlikes(shown.text)),
      odd: base.odd || shown.escaped !== undefined,
      notUtf8: base.notUtf8 || shown.notUtf8 === true,
      depth,
    };
    const type: EntryType = entry.isDirectory()
      ? 'folder'
      : entry.isSymbolicLink()
        ? 'symlink'
        : entry.isFile()
          ? 'file'
          : 'other';
    if (options.gitignore && rules.ignores(here.path, type === 'folder')) continue;
    const size = type === 'file' ? sizeAt(fd, entry.name) : 0;
    const visited: WalkEntry = { path: here.path, type, size, depth, dirFd: fd, name: entry.name };
    if (here.odd) visited.escaped = here.escaped;
    if (here.notUtf8) visited.notUtf8 = true;
    if (options.visit(visited) === false) return false;
    if (type !== 'folder' || (options.maxDepth !== undefined && depth >= options.maxDepth)) continue;
    let child: number;
    try {
      child = fs.openSync(inDir(fd, entry.name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT' || code === 'EACCES') continue;
      throw err;
    }
    try {
      if (!visitFolder(child, here, rules, options)) return false;
    } finally {
      fs.closeSync(child);
    }
  }
  return true;
}

function sizeAt(fd: number, name: Buffer): number {
  try {
    return lstatIn(fd, name)?.size ?? 0;
  } catch {
    return 0;
  }
}

/** A small text file in the folder, without following links; undefined when absent or odd. */
export function readSmallText(dirFd: number, name: string, max = GITIGNORE_MAX): string | undefined {
  return readSmallFileIn(dirFd, name, max)?.toString('utf8');
}
