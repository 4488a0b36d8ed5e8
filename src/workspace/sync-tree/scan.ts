import * as fs from 'node:fs';
import ignore, { type Ignore } from 'ignore';
import { BerthError, errnoOf } from '../../errors.js';
import { fdTarget, inDir } from '../fd-dir.js';
import type { DigestCache } from './digest-cache.js';
import { flat } from './flat-string.js';
import { hashFd, keyOf, sameKey } from './digest-cache.js';
import { SYNC_MODE_MASK, SYNC_STATE_DIR, type ScanProblem, type SyncPath, type SyncTree } from './entry.js';
import { joinSyncPath, linkTargetEscape } from './sync-path.js';
import { ASIDE_PREFIX, lstatBig, lstatInCwd, openDirIn, openFileNoFollow } from './tree-fds.js';

export interface ScanLimits {
  maxFileBytes: number;
  maxEntries: number;
  /**
   * A full scan moves this process's working folder into each folder it lists (through the
   * folder's fd: `chdir` to `/proc/self/fd/N` enters that very folder, as fchdir does) and
   * lstats each name relative to it: half the cost of a lookup through /proc/self/fd/N/name
   * (~3 µs against ~6.5 µs here). The working folder is put back when the scan ends. Only for
   * a process in which nothing else resolves relative paths meanwhile (the sync agent).
   */
  statInCwd?: boolean;
}

/** Folders nested deeper than this are a problem, not a reason to run out of stack. */
const MAX_DEPTH = 512;

/**
 * The `ignore` package keeps the answer for every path it was asked about (and each folder above
 * it), for as long as the matcher lives: over a scan of 100,000 paths that is tens of MB that
 * are never asked for again in the same form. The matcher is made afresh after this many
 * questions, so its memo stays small (a scan asks about neighbours in turn, so the memo still
 * serves the folders above them). The answers are the same either way.
 */
const MATCHER_QUESTIONS = 4096;
/** Answers kept by name (a tree's distinct file and folder names, most of them). */
const NAME_ANSWERS = 20_000;

/** Compiled ignore rules, matched the way git does (a folder with a trailing `/`). */
export class IgnoreRules {
  private rules: Ignore | undefined;
  private asked = 0;
  /**
   * Every rule names a name, wherever it is (no `/` but a trailing one): then a path whose
   * folders are not ignored is judged by its last name alone, and the answers are kept by name
   * (up to NAME_ANSWERS of them).
   */
  private readonly byName: boolean;
  private readonly names = new Map<string, boolean>();

  readonly patterns: readonly string[];

  constructor(patterns: readonly string[]) {
    this.patterns = [...patterns];
    this.rules = this.patterns.length > 0 ? ignore().add([...this.patterns]) : undefined;
    this.byName = this.patterns.every((p) => {
      const rule = p.trim().replace(/^!/, '').replace(/\/+$/, '');
      return !rule.includes('/') && !rule.includes('\\');
    });
  }

  /** Whether these are the rules `patterns` would compile to. */
  same(patterns: readonly string[]): boolean {
    return patterns.length === this.patterns.length && patterns.every((p, i) => p === this.patterns[i]);
  }

  ignores(path: SyncPath, isDir: boolean): boolean {
    if (this.rules === undefined) return false;
    if (++this.asked > MATCHER_QUESTIONS) {
      this.rules = ignore().add([...this.patterns]);
      this.asked = 1;
    }
    // rules are text; a path's bytes are matched as UTF-8 (a stray byte matches no pattern letter)
    const text = /[\x80-\xff]/.test(path) ? Buffer.from(path, 'latin1').toString('utf8') : path;
    const candidate = isDir ? `${text}/` : text;
    // names the package cannot take (`...` reads as "not relative" to it) are never ignored
    if (!ignore.isPathValid(text)) return false;
    return this.rules.ignores(candidate);
  }

  /** `ignores` for a path whose folders are known not to be ignored (a walk from the root). */
  ignoresChild(path: SyncPath, isDir: boolean): boolean {
    if (this.rules === undefined) return false;
    if (!this.byName) return this.ignores(path, isDir);
    const name = path.slice(path.lastIndexOf('/') + 1);
    // a name holds no `/`: the key tells a folder from a file
    const key = isDir ? `${name}/` : name;
    let known = this.names.get(key);
    if (known === undefined) {
      known = this.ignores(name, isDir);
      if (this.names.size >= NAME_ANSWERS) this.names.clear();
      this.names.set(key, known);
    }
    return known;
  }
}

/**
 * Walks the tree below `rootFd` through fds: every folder opened with O_NOFOLLOW in its
 * parent, every file hashed from the fd that was checked (or its digest taken from the cache
 * when dev, inode, size, mtime and ctime are all as they were). What cannot be judged becomes
 * a problem, never an entry and never an absence.
 */
export function scanTree(
  rootFd: number,
  rules: IgnoreRules,
  cache: DigestCache,
  limits: ScanLimits,
  scope?: readonly SyncPath[],
): { entries: SyncTree; problems: ScanProblem[] } {
  const rootSt = fs.fstatSync(rootFd, { bigint: true });
  const entries: SyncTree = new Map();
  const problems: ScanProblem[] = [];
  const add = (path: SyncPath, entry: Parameters<SyncTree['set']>[1]) => {
    entries.set(path, entry);
    if (entries.size > limits.maxEntries) {
      throw new BerthError(
        'TOO_LARGE',
        `the sync root holds more than ${limits.maxEntries} entries; ignore some (node_modules, build output) or raise the limit`,
        { maxEntries: limits.maxEntries },
      );
    }
  };
  const problem = (path: SyncPath, reason: string) => problems.push({ path, reason });
  /** The folder fd the working folder is in now (statInCwd), -1 when none of ours. */
  let cwdFd = -1;
  const enter = (dirFd: number): boolean => {
    if (cwdFd === dirFd) return true;
    try {
      process.chdir(fdTarget(dirFd));
      cwdFd = dirFd;
      return true;
    } catch {
      cwdFd = -1;
      return false;
    }
  };
  const lstatChild = (dirFd: number, name: Buffer): fs.BigIntStats | undefined => {
    // a readdir name holds no '/' and is never '.' or '..': relative to the folder, it is that entry
    return limits.statInCwd && enter(dirFd) ? lstatInCwd(name) : lstatBig(dirFd, name);
  };

  const visitFile = (dirFd: number, name: Buffer, path: SyncPath, st: fs.BigIntStats) => {
    if (st.size > BigInt(limits.maxFileBytes)) {
      problem(path, `is larger than the ${limits.maxFileBytes}-byte limit for synced files`);
      return;
    }
    const key = keyOf(st);
    const cached = cache.lookup(path, key);
    if (cached !== undefined) {
      add(path, {
        kind: 'file',
        mode: Number(st.mode) & SYNC_MODE_MASK,
        size: Number(st.size),
        digest: cached,
      });
      return;
    }
    const opened = openFileNoFollow(dirFd, name);
    if ('error' in opened) {
      problem(
        path,
        opened.error === 'ENOENT' ? 'vanished while scanned' : `cannot be read (${opened.error})`,
      );
      return;
    }
    let found: { mode: number; size: number; digest: string } | undefined;
    try {
      const before = opened.st;
      const readAtMs = Date.now();
      const { digest, exact } = hashFd(opened.fd, Number(before.size));
      const after = fs.fstatSync(opened.fd, { bigint: true });
      if (exact && sameKey(keyOf(before), keyOf(after)) && before.ino === st.ino) {
        cache.remember(path, keyOf(after), digest, readAtMs);
        found = { mode: Number(after.mode) & SYNC_MODE_MASK, size: Number(after.size), digest };
      } else {
        problem(path, 'changed while it was read');
      }
    } catch (err) {
      problem(path, `cannot be read (${errnoOf(err) ?? String(err)})`);
    } finally {
      fs.closeSync(opened.fd);
    }
    // the same shape as every other file entry (a spread would make a slower, larger object)
    if (found) add(path, { kind: 'file', mode: found.mode, size: found.size, digest: found.digest });
  };

  const visitDir = (dirFd: number, path: SyncPath, depth: number) => {
    let list: fs.Dirent<Buffer>[];
    try {
      list = fs.readdirSync(fdTarget(dirFd), { encoding: 'buffer', withFileTypes: true });
    } catch (err) {
      problem(path, `cannot be listed (${errnoOf(err) ?? String(err)})`);
      return false;
    }
    for (const dirent of list) {
      const name = dirent.name as unknown as Buffer;
      const text = name.toString('latin1');
      if (depth === 0 && text === SYNC_STATE_DIR) continue;
      const childPath = flat(joinSyncPath(path, text));
      if (text.startsWith(ASIDE_PREFIX)) {
        problem(
          childPath,
          'is an entry berth set aside while changing it (left by an interrupted sync); keep or remove it by hand',
        );
        continue;
      }
      const hinted = dirent.isDirectory()
        ? 'dir'
        : dirent.isFile()
          ? 'file'
          : dirent.isSymbolicLink()
            ? 'link'
            : 'other';
      if (rules.ignoresChild(childPath, hinted === 'dir')) continue;
      if (hinted === 'dir') {
        visitChildDir(dirFd, name, childPath, depth + 1);
        continue;
      }
      // the type readdir saw is a hint; lstat says what is there now
      const st = lstatChild(dirFd, name);
      if (st === undefined) continue; // gone since the listing: absent
      if (st.dev !== rootSt.dev)
        problem(childPath, 'is on another file system than the sync root (a mount point)');
      else if (st.isFile()) visitFile(dirFd, name, childPath, st);
      else if (st.isSymbolicLink()) visitLink(dirFd, name, childPath);
      else if (st.isDirectory()) {
        if (!rules.ignoresChild(childPath, true)) visitChildDir(dirFd, name, childPath, depth + 1);
      } else problem(childPath, `is ${specialKind(st)}, which sync does not copy`);
    }
    return true;
  };

  const visitChildDir = (dirFd: number, name: Buffer, path: SyncPath, depth: number) => {
    if (depth > MAX_DEPTH) {
      problem(path, `is nested more than ${MAX_DEPTH} folders deep`);
      return;
    }
    const opened = openDirIn(dirFd, name);
    if ('error' in opened) {
      if (opened.error === 'ENOENT') return;
      problem(
        path,
        opened.error === 'EACCES'
          ? 'cannot be opened (permission denied)'
          : `changed while scanned (${opened.error})`,
      );
      return;
    }
    try {
      if (opened.st.dev !== rootSt.dev) {
        problem(path, 'is on another file system than the sync root (a mount point)');
        return;
      }
      add(path, { kind: 'dir', mode: Number(opened.st.mode) & SYNC_MODE_MASK });
      if (!visitDir(opened.fd, path, depth)) {
        // not listed: neither the folder nor anything below it may count as known
        entries.delete(path);
      }
    } finally {
      // its number may be reused by the next open: the working folder is no longer known
      if (cwdFd === opened.fd) cwdFd = -1;
      fs.closeSync(opened.fd);
    }
  };

  const visitLink = (dirFd: number, name: Buffer, path: SyncPath) => {
    let target: string;
    try {
      target = fs.readlinkSync(inDir(dirFd, name), { encoding: 'buffer' }).toString('latin1');
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') problem(path, `cannot be read (${errnoOf(err) ?? String(err)})`);
      return;
    }
    const escape = linkTargetEscape(path, target);
    if (escape !== undefined) problem(path, `is a link that ${escape}; sync does not copy it`);
    else add(path, { kind: 'link', target });
  };

  /** One child of an open folder, whatever it is (a folder with all it holds when `deep`). */
  const visitChild = (dirFd: number, name: Buffer, path: SyncPath, depth: number, deep: boolean) => {
    const st = lstatBig(dirFd, name);
    if (st === undefined) return; // absent: the lstat itself is the evidence
    if (st.dev !== rootSt.dev) problem(path, 'is on another file system than the sync root (a mount point)');
    else if (st.isFile()) visitFile(dirFd, name, path, st);
    else if (st.isSymbolicLink()) visitLink(dirFd, name, path);
    else if (st.isDirectory()) {
      if (deep) visitChildDir(dirFd, name, path, depth);
      else add(path, { kind: 'dir', mode: Number(st.mode) & SYNC_MODE_MASK });
    } else problem(path, `is ${specialKind(st)}, which sync does not copy`);
  };

  /**
   * A scoped scan (a watcher's hint): the root's own entries (folders without their contents),
   * then each scoped path with the folders on the way to it. A folder on the way that is gone
   * or is no longer a folder ends that path's walk: what is there (or that nothing is) is the
   * answer for everything below it.
   */
  const visitScope = (path: SyncPath) => {
    const parts = path.split('/');
    if (parts[0] === SYNC_STATE_DIR || parts[0] === '') return;
    const opened: number[] = [];
    try {
      let dirFd = rootFd;
      let at = '';
      for (let i = 0; i < parts.length; i++) {
        const name = Buffer.from(parts[i]!, 'latin1');
        at = joinSyncPath(at, parts[i]!);
        const last = i === parts.length - 1;
        if (parts[i]!.startsWith(ASIDE_PREFIX) || rules.ignores(at, !last)) return;
        if (last) {
          visitChild(dirFd, name, at, i + 1, true);
          return;
        }
        const st = lstatBig(dirFd, name);
        if (st === undefined) return;
        if (!st.isDirectory()) {
          visitChild(dirFd, name, at, i + 1, true);
          return;
        }
        const child = openDirIn(dirFd, name);
        if ('error' in child) {
          if (child.error !== 'ENOENT') problem(at, `changed while scanned (${child.error})`);
          return;
        }
        opened.push(child.fd);
        if (child.st.dev !== rootSt.dev) {
          problem(at, 'is on another file system than the sync root (a mount point)');
          return;
        }
        add(at, { kind: 'dir', mode: Number(child.st.mode) & SYNC_MODE_MASK });
        dirFd = child.fd;
      }
    } finally {
      for (const fd of opened) fs.closeSync(fd);
    }
  };

  add('', { kind: 'dir', mode: Number(rootSt.mode) & SYNC_MODE_MASK });
  if (scope === undefined) {
    const home = limits.statInCwd ? process.cwd() : undefined;
    try {
      if (!visitDir(rootFd, '', 0)) entries.clear();
    } finally {
      if (home !== undefined) process.chdir(home);
    }
    return { entries, problems };
  }
  let top: Buffer[];
  try {
    top = fs.readdirSync(fdTarget(rootFd), { encoding: 'buffer' });
  } catch (err) {
    problem('', `cannot be listed (${errnoOf(err) ?? String(err)})`);
    return { entries: new Map(), problems };
  }
  for (const name of top) {
    const text = name.toString('latin1');
    if (text === SYNC_STATE_DIR || text.startsWith(ASIDE_PREFIX)) continue;
    const st = lstatBig(rootFd, name);
    if (st === undefined || rules.ignores(text, st.isDirectory())) continue;
    visitChild(rootFd, name, text, 1, false);
  }
  for (const path of scope) visitScope(path);
  return { entries, problems };
}

function specialKind(st: fs.BigIntStats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'a special file';
}
