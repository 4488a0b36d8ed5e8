import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../../errors.js';
import { inDir } from '../fd-dir.js';
import { keepAsConflict, mismatch, putBack, setAside } from './aside.js';
import type { Attic } from './attic.js';
import type { DigestCache, FileKey } from './digest-cache.js';
import { DIGEST_PATTERN, hashFd, keyOf, sameKey } from './digest-cache.js';
import type { FileEntry, OpResult, SyncEntry, SyncOp, SyncPath } from './entry.js';
import type { StagedFile } from './stage.js';
import type { StateDirs } from './state-dir.js';
import { checkSyncPath, isStatePath, linkTargetEscape, showSyncPath } from './sync-path.js';
import {
  linkNoReplace,
  lstatBig,
  openDirIn,
  openFileNoFollow,
  openParent,
  randomName,
  type ParentDir,
} from './tree-fds.js';

const { O_RDWR, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export interface OpContext {
  rootFd: number;
  rootDev: bigint;
  state: StateDirs;
  attic: Attic;
  cache: DigestCache;
  /** What this replica staged, by digest: the only staged files a put takes. */
  staged: Map<string, StagedFile>;
  side: 'local' | 'container';
  owner: { uid: number; gid: number } | undefined;
}

/** Not done, nothing changed: the side did not hold what the op expected. */
class Changed extends Error {}
class MissingContent extends Error {}

/**
 * Runs one apply call's ops in order, each on its own (a failure is that op's result only).
 * Every folder an op changed is fsynced once at the end.
 */
export class OpRunner {
  /** Parent folders opened by ops (closed after the fsync) and state folders (kept open). */
  private readonly opened: number[] = [];
  private readonly synced = new Set<number>();
  /** Parent folders already opened in this call, by their path. */
  private readonly parents = new Map<SyncPath, number>();
  /** How many puts of this call still want each digest: the last one may take the staged file itself. */
  private readonly wanted = new Map<string, number>();

  constructor(
    private readonly ctx: OpContext,
    ops: readonly SyncOp[],
  ) {
    for (const op of ops) {
      if (op.op === 'put') this.wanted.set(op.entry.digest, (this.wanted.get(op.entry.digest) ?? 0) + 1);
    }
  }

  run(op: SyncOp): OpResult {
    if (op.op === 'mkdir' || op.op === 'symlink' || op.op === 'remove' || op.op === 'move') {
      this.forget(op.path);
      if (op.op === 'move') this.forget(op.to);
    }
    try {
      return { ok: true, entry: this.dispatch(op) };
    } catch (err) {
      if (err instanceof Changed) return { ok: false, reason: 'changed', detail: err.message };
      if (err instanceof MissingContent) return { ok: false, reason: 'missing-content', detail: err.message };
      const detail =
        err instanceof BerthError ? err.message : `${errnoOf(err) ?? 'error'}: ${(err as Error).message}`;
      return { ok: false, reason: 'error', detail };
    } finally {
      if (op.op === 'put') this.wanted.set(op.entry.digest, (this.wanted.get(op.entry.digest) ?? 1) - 1);
    }
  }

  /** fsyncs every folder the ops changed (side by side), then closes the ones opened for them. */
  async finish(): Promise<void> {
    this.ctx.attic.flush(this.synced);
    const fds = [...this.synced];
    try {
      await Promise.all(
        fds.map(
          (fd) => new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve()))),
        ),
      );
    } finally {
      for (const fd of this.opened) fs.closeSync(fd);
      this.opened.length = 0;
      this.synced.clear();
      this.parents.clear();
    }
  }

  private dispatch(op: SyncOp): SyncEntry | null {
    checkSyncPath(op.path);
    if (isStatePath(op.path))
      throw new BerthError('PATH_REFUSED', `"${op.path}" is berth's own state; sync never changes it`);
    switch (op.op) {
      case 'put':
        return this.put(op.path, op.expect, op.entry);
      case 'mkdir': {
        const mode = checkMode(op.mode);
        return this.replace(op.path, op.expect, 'mkdir', (parent) => this.makeDir(parent, mode));
      }
      case 'symlink': {
        const escape = linkTargetEscape(op.path, op.target);
        if (escape !== undefined)
          throw new BerthError('PATH_REFUSED', `the link "${showSyncPath(op.path)}" ${escape}`);
        return this.replace(op.path, op.expect, 'symlink', (parent) => this.makeLink(parent, op.target));
      }
      case 'chmod':
        return this.chmod(op.path, op.expect, checkMode(op.mode));
      case 'remove':
        if (op.expect.kind === 'dir') return this.removeDir(op.path, op.expect.mode);
        this.replace(op.path, op.expect, 'remove', () => ({ placed: true, entry: null }));
        return null;
      case 'move':
        return this.move(op.path, op.expect, op.to);
      default:
        throw new BerthError('INVALID_ARGUMENT', `unknown op ${JSON.stringify((op as { op: unknown }).op)}`);
    }
  }

  /**
   * The parent folder of an op's path, opened through the confined walk once per apply call and
   * kept for the call's other ops in it (10,000 puts in 100 folders: 100 walks and 100 folder
   * fsyncs, not 10,000). An op that changes a folder's own entry (mkdir, symlink, remove, move)
   * drops what was kept for it and below it, so a later op walks again. A folder moved by
   * someone else during the call gets the rest of that call's entries where it went, as any
   * process holding it open would; nothing is reached through a link either way.
   */
  private parent(path: SyncPath): ParentDir {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    const kept = this.parents.get(dir);
    if (kept !== undefined) return { fd: kept, name: Buffer.from(path.slice(slash + 1), 'latin1') };
    const parent = openParent(this.ctx.rootFd, this.ctx.rootDev, path);
    this.opened.push(parent.fd);
    this.parents.set(dir, parent.fd);
    return parent;
  }

  /** Forgets kept parent folders at or below `path` (its entry is being changed). */
  private forget(path: SyncPath): void {
    for (const dir of this.parents.keys()) {
      if (dir === path || dir.startsWith(`${path}/`)) this.parents.delete(dir);
    }
  }

  /**
   * The shape of every change at a path: with `expect: null` the new entry is made by a step
   * that fails when anything is there (link, mkdir, symlink: EEXIST), so nothing is replaced.
   * Otherwise the old entry is set aside and checked first; on a mismatch it goes back (or is
   * kept as a conflict copy when its name was taken), on a match the new entry goes in and
   * the old one's bytes go to the attic.
   */
  private replace(
    path: SyncPath,
    expect: SyncEntry | null,
    why: string,
    place: (parent: ParentDir) => { placed: boolean; entry: SyncEntry | null },
  ): SyncEntry | null {
    const parent = this.parent(path);
    this.synced.add(parent.fd);
    if (expect === null) {
      const result = place(parent);
      if (!result.placed)
        throw new Changed(`something is at "${showSyncPath(path)}" now, where nothing was expected`);
      return result.entry;
    }
    const aside = setAside(parent.fd, parent.name);
    if (aside === undefined) throw new Changed(`nothing is at "${showSyncPath(path)}" any more`);
    let result: { placed: boolean; entry: SyncEntry | null };
    try {
      const wrong = mismatch(
        parent.fd,
        aside,
        expect,
        { cache: this.ctx.cache, path },
        expect.kind === 'dir',
      );
      if (wrong !== undefined) {
        const kept = putBack(parent.fd, aside, parent.name, this.ctx.side);
        throw new Changed(
          `"${showSyncPath(path)}" changed: ${wrong}${kept ? `; it is kept as "${showSyncPath(kept)}"` : ''}`,
        );
      }
      result = place(parent);
    } catch (err) {
      if (!(err instanceof Changed)) this.rescue(parent, aside);
      throw err;
    }
    this.dispose(parent, aside, expect, path, why);
    if (!result.placed)
      throw new Changed(
        `"${showSyncPath(path)}" was written meanwhile; the version it replaced is in the attic`,
      );
    return result.entry;
  }

  /** After an unexpected failure an aside entry must not stay hidden under a temporary name. */
  private rescue(parent: ParentDir, aside: Buffer): void {
    try {
      putBack(parent.fd, aside, parent.name, this.ctx.side);
    } catch {
      // it stays as `.berth-aside-…`: scans report it as a problem, nothing deletes it
    }
  }

  /** What happens to a checked aside entry once its replacement is in: bytes to the attic. */
  private dispose(parent: ParentDir, aside: Buffer, expect: SyncEntry, path: SyncPath, why: string): void {
    try {
      if (expect.kind === 'file') {
        this.ctx.attic.keep(parent.fd, aside, { digest: expect.digest, path, size: expect.size, why });
      } else if (expect.kind === 'link') {
        fs.unlinkSync(inDir(parent.fd, aside));
      } else {
        fs.rmdirSync(inDir(parent.fd, aside));
      }
    } catch {
      // the attic or the rmdir failed (a late writer filled the folder, say): keep it visible
      keepAsConflict(parent.fd, aside, parent.name, this.ctx.side);
    }
  }

  private put(path: SyncPath, expect: SyncEntry | null, entry: FileEntry): SyncEntry {
    if (!DIGEST_PATTERN.test(entry.digest))
      throw new BerthError('INVALID_ARGUMENT', `"${entry.digest}" is not a SHA-256 digest`);
    const mode = checkMode(entry.mode);
    const stage = this.ctx.state.stage;
    const stagedFile = this.ctx.staged.get(entry.digest);
    const opened = stagedFile === undefined ? undefined : openStaged(stage, stagedFile.name);
    if (opened === undefined || stagedFile === undefined)
      throw new MissingContent(`no staged content for ${entry.digest}`);
    const { name: staged, key: stagedKey } = stagedFile;
    // the other side can write the stage folder: only the very file staged (and verified)
    // here, untouched since, is used
    if (!sameKey(keyOf(opened.st), stagedKey)) {
      fs.closeSync(opened.fd);
      throw new MissingContent(`the staged ${entry.digest} changed after it was verified; it is not used`);
    }
    if (Number(opened.st.size) !== entry.size) {
      fs.closeSync(opened.fd);
      throw new BerthError(
        'INVALID_ARGUMENT',
        `the staged ${entry.digest} has ${opened.st.size} bytes, the op says ${entry.size}`,
      );
    }
    // the last put of this call that wants the digest takes the staged file itself (fsynced when
    // staged); earlier ones take a copy, fsynced here
    const takeStaged = (this.wanted.get(entry.digest) ?? 0) <= 1;
    const source = takeStaged ? staged : randomName(`${entry.digest}.put-`);
    let fd = opened.fd;
    try {
      if (!takeStaged) {
        fs.copyFileSync(
          inDir(stage, staged),
          inDir(stage, source),
          fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE,
        );
        // a clone may move the source's ctime: the key the last put checks is taken again (its
        // bytes, as their mtime says, are still the staged ones)
        const now = fs.fstatSync(fd, { bigint: true });
        if (now.mtimeNs === stagedKey.mtimeNs && now.size === stagedKey.size)
          this.ctx.staged.set(entry.digest, { name: staged, key: keyOf(now) });
        fs.closeSync(fd);
        fd = fs.openSync(inDir(stage, source), O_RDWR | O_NOFOLLOW);
      }
      fs.fchmodSync(fd, mode);
      if (this.ctx.owner && process.getuid?.() === 0)
        fs.fchownSync(fd, this.ctx.owner.uid, this.ctx.owner.gid);
      if (!takeStaged) fs.fsyncSync(fd);
      return this.replace(path, expect, 'put', (parent) => {
        if (linkNoReplace(stage, source, parent.fd, parent.name) === 'taken')
          return { placed: false, entry: null };
        fs.unlinkSync(inDir(stage, source));
        if (takeStaged) {
          this.ctx.staged.delete(entry.digest);
          try {
            this.rememberPlaced(path, parent, fd, stagedKey, entry);
          } catch {
            // the file is in place; without a kept digest the next scan hashes it
          }
        }
        return { placed: true, entry: { kind: 'file', mode, size: entry.size, digest: entry.digest } };
      }) as SyncEntry;
    } finally {
      fs.closeSync(fd);
      if (!takeStaged && lstatBig(stage, source) !== undefined) fs.unlinkSync(inDir(stage, source));
    }
  }

  /**
   * After its last step, a placed file's bytes are read back from its own fd and, when they are
   * still the digest and still the staged write (same inode, size and mtime) and the name still
   * holds that inode, their digest is kept for the next scan (`DigestCache.rememberPlaced`), so
   * it does not hash the file again. Otherwise nothing is kept and the next scan hashes it.
   */
  private rememberPlaced(
    path: SyncPath,
    parent: ParentDir,
    fd: number,
    stagedKey: FileKey,
    entry: FileEntry,
  ) {
    const before = fs.fstatSync(fd, { bigint: true });
    if (
      before.ino !== stagedKey.ino ||
      before.size !== stagedKey.size ||
      before.mtimeNs !== stagedKey.mtimeNs
    )
      return;
    const readAtMs = Date.now();
    const { digest, exact } = hashFd(fd, entry.size);
    const after = lstatBig(parent.fd, parent.name);
    if (!exact || digest !== entry.digest || after === undefined || !sameKey(keyOf(before), keyOf(after)))
      return;
    this.ctx.cache.rememberPlaced(path, keyOf(after), digest, readAtMs);
  }

  private makeDir(parent: ParentDir, mode: number): { placed: boolean; entry: SyncEntry | null } {
    try {
      fs.mkdirSync(inDir(parent.fd, parent.name), 0o700);
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return { placed: false, entry: null };
      throw err;
    }
    const opened = openDirIn(parent.fd, parent.name);
    if ('error' in opened)
      throw new BerthError('PATH_REFUSED', `the folder just made was replaced (${opened.error})`);
    try {
      fs.fchmodSync(opened.fd, mode);
      if (this.ctx.owner && process.getuid?.() === 0)
        fs.fchownSync(opened.fd, this.ctx.owner.uid, this.ctx.owner.gid);
    } finally {
      fs.closeSync(opened.fd);
    }
    return { placed: true, entry: { kind: 'dir', mode } };
  }

  private makeLink(parent: ParentDir, target: string): { placed: boolean; entry: SyncEntry | null } {
    try {
      fs.symlinkSync(Buffer.from(target, 'latin1'), inDir(parent.fd, parent.name));
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return { placed: false, entry: null };
      throw err;
    }
    if (this.ctx.owner && process.getuid?.() === 0)
      fs.lchownSync(inDir(parent.fd, parent.name), this.ctx.owner.uid, this.ctx.owner.gid);
    return { placed: true, entry: { kind: 'link', target } };
  }

  /** Permission bits only: checked (lstat, digest) through the same fd that is then changed. */
  private chmod(path: SyncPath, expect: SyncEntry, mode: number): SyncEntry {
    if (expect.kind === 'link') throw new BerthError('INVALID_ARGUMENT', 'a link has no mode to change');
    const parent = this.parent(path);
    this.synced.add(parent.fd);
    const opened =
      expect.kind === 'dir' ? openDirIn(parent.fd, parent.name) : openFileNoFollow(parent.fd, parent.name);
    if ('error' in opened)
      throw new Changed(`"${showSyncPath(path)}" is not the ${expect.kind} expected (${opened.error})`);
    try {
      const wrong = mismatch(parent.fd, parent.name, expect, { cache: this.ctx.cache, path });
      if (wrong !== undefined) throw new Changed(`"${showSyncPath(path)}" changed: ${wrong}`);
      const now = lstatBig(parent.fd, parent.name);
      if (now?.ino !== opened.st.ino) throw new Changed(`"${showSyncPath(path)}" was replaced while checked`);
      fs.fchmodSync(opened.fd, mode);
    } finally {
      fs.closeSync(opened.fd);
    }
    return expect.kind === 'dir' ? { kind: 'dir', mode } : { ...expect, mode };
  }

  /**
   * A folder goes only when empty (rmdir fails otherwise), so nothing in it can be lost; an
   * empty folder made in its place between the check and the rmdir is the one thing that could.
   */
  private removeDir(path: SyncPath, mode: number): null {
    const parent = this.parent(path);
    this.synced.add(parent.fd);
    const wrong = mismatch(parent.fd, parent.name, { kind: 'dir', mode }, { cache: this.ctx.cache, path });
    if (wrong !== undefined) throw new Changed(`"${showSyncPath(path)}" changed: ${wrong}`);
    try {
      fs.rmdirSync(inDir(parent.fd, parent.name));
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOTEMPTY' || code === 'EEXIST')
        throw new Changed(`the folder "${showSyncPath(path)}" is not empty`);
      if (code === 'ENOENT' || code === 'ENOTDIR')
        throw new Changed(`"${showSyncPath(path)}" changed while removed`);
      throw err;
    }
    return null;
  }

  /** Set aside, checked, then given the name `to`, which must be free (a folder moves whole). */
  private move(path: SyncPath, expect: SyncEntry, to: SyncPath): null {
    checkSyncPath(to);
    if (isStatePath(to))
      throw new BerthError('PATH_REFUSED', `"${to}" is berth's own state; sync never changes it`);
    const parent = this.parent(path);
    const target = this.parent(to);
    this.synced.add(parent.fd);
    this.synced.add(target.fd);
    const aside = setAside(parent.fd, parent.name);
    if (aside === undefined) throw new Changed(`nothing is at "${showSyncPath(path)}" any more`);
    try {
      const wrong = mismatch(parent.fd, aside, expect, { cache: this.ctx.cache, path });
      if (wrong !== undefined) throw new Changed(`"${showSyncPath(path)}" changed: ${wrong}`);
      if (expect.kind === 'dir') {
        // rename replaces only an empty folder, never a file or a folder with anything in it
        if (lstatBig(target.fd, target.name) !== undefined)
          throw new Changed(`"${showSyncPath(to)}" is taken`);
        fs.renameSync(inDir(parent.fd, aside), inDir(target.fd, target.name));
      } else {
        if (linkNoReplace(parent.fd, aside, target.fd, target.name) === 'taken')
          throw new Changed(`"${showSyncPath(to)}" is taken`);
        fs.unlinkSync(inDir(parent.fd, aside));
      }
    } catch (err) {
      if (lstatBig(parent.fd, aside) !== undefined) {
        const kept = putBack(parent.fd, aside, parent.name, this.ctx.side);
        if (kept && err instanceof Changed)
          throw new Changed(`${err.message}; the entry is kept as "${showSyncPath(kept)}"`);
      }
      throw err;
    }
    return null;
  }
}

/** The staged file of a digest, opened for its mode and owner (never through a link, never a FIFO). */
function openStaged(stage: number, name: Buffer): { fd: number; st: fs.BigIntStats } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(inDir(stage, name), O_RDWR | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (['ENOENT', 'ELOOP', 'EISDIR', 'ENXIO'].includes(errnoOf(err) ?? '')) return undefined;
    throw err;
  }
  const st = fs.fstatSync(fd, { bigint: true });
  if (!st.isFile()) {
    fs.closeSync(fd);
    return undefined;
  }
  return { fd, st };
}

function checkMode(mode: number): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777)
    throw new BerthError('INVALID_ARGUMENT', `${mode} is not a permission mode (0 to 0o777)`);
  return mode;
}
