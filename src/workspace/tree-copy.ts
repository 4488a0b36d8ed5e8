import * as fs from 'node:fs';
import { isGitName, joinBytes, showBytes } from './byte-path.js';
import {
  errnoCode,
  fdTarget,
  inDir,
  kindOf,
  lstatIn,
  openChildDir,
  openFileIn,
  type EntryKind,
} from './fd-dir.js';
import { GitignoreRules } from './gitignore-rules.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

const GITIGNORE_MAX = 256 * 1024;
const PROGRESS_EVERY_MS = 1000;

export interface TreeCopyOptions {
  /** Leave out every entry named `.git` (any letter case), at any depth. */
  skipGit?: boolean;
  /**
   * Leave out what .gitignore files (read from the source, through fds) ignore, except paths
   * `keep` says are wanted anyway (tracked files, and the folders that hold them).
   */
  gitignore?: { extraRules?: string; keep?: (path: Buffer, kind: EntryKind) => boolean };
  /** Leave out entries this says to (checked before anything else). */
  skip?: (path: Buffer, kind: EntryKind) => boolean;
  /** Hard-link regular files instead of copying them (content-addressed files only). */
  hardLink?: boolean;
  /** Told about every entry copied, with its mode (files, folders and links). */
  onEntry?: (path: Buffer, kind: EntryKind, mode: number) => void;
  onProgress?: (files: number) => void;
}

export interface TreeCopyReport {
  files: number;
  bytes: number;
  /** Sockets, FIFOs and devices: nothing a project needs, and unsafe to open. */
  skipped: string[];
  /** Entries that changed while they were being copied (swapped for a link, say): left out. */
  changed: string[];
}

/**
 * Copies the tree below `srcFd` into the empty folder `dstFd`. The source may be written by a
 * hostile container while this runs: every source folder is opened with O_NOFOLLOW through its
 * parent's fd and checked with fstat, every file is opened the same way and copied from that
 * fd, links are copied as links and never followed. Modes are kept (without set-id bits), and
 * times too. Names are bytes, so a name that is not UTF-8 arrives as it was.
 */
export function copyTreeFds(srcFd: number, dstFd: number, options: TreeCopyOptions = {}): TreeCopyReport {
  const report: TreeCopyReport = { files: 0, bytes: 0, skipped: [], changed: [] };
  let lastProgress = Date.now();
  const rules = options.gitignore
    ? GitignoreRules.empty().with('', options.gitignore.extraRules)
    : GitignoreRules.empty();

  const visit = (src: number, dst: number, base: Buffer[], inherited: GitignoreRules) => {
    const local = options.gitignore
      ? inherited.with(textPath(base), readSmall(src, '.gitignore'))
      : inherited;
    for (const entry of listEntries(src)) {
      const name = entry.name;
      if (options.skipGit && isGitName(name)) continue;
      const parts = [...base, name];
      const rel = joinBytes(parts);
      // the type readdir saw is only a hint for what to try; what is opened is checked again
      let kind = entry.kind;
      if (kind === undefined) {
        const st = lstatIn(src, name);
        if (!st) continue;
        kind = kindOf(st);
      }
      if (options.skip?.(rel, kind)) continue;
      if (options.gitignore && local.ignores(textPath(parts), kind === 'folder')) {
        if (!options.gitignore.keep?.(rel, kind)) continue;
      }
      if (kind === 'folder') {
        const child = openChildDir(src, name);
        if (child === undefined) {
          report.changed.push(showBytes(rel));
          continue;
        }
        try {
          const cst = fs.fstatSync(child);
          fs.mkdirSync(inDir(dst, name), 0o700);
          const out = openChildDir(dst, name)!;
          try {
            visit(child, out, parts, local);
            fs.fchmodSync(out, cst.mode & 0o777);
            fs.futimesSync(out, cst.atime, cst.mtime);
          } finally {
            fs.closeSync(out);
          }
          options.onEntry?.(rel, 'folder', cst.mode & 0o777);
        } finally {
          fs.closeSync(child);
        }
      } else if (kind === 'symlink') {
        let target: Buffer;
        let st: fs.Stats | undefined;
        try {
          target = fs.readlinkSync(inDir(src, name), { encoding: 'buffer' });
          st = lstatIn(src, name);
        } catch {
          report.changed.push(showBytes(rel));
          continue;
        }
        fs.symlinkSync(target, inDir(dst, name));
        if (st) fs.lutimesSync(inDir(dst, name), st.atime, st.mtime);
        options.onEntry?.(rel, 'symlink', 0o777);
      } else if (kind === 'file') {
        const opened = openFileIn(src, name);
        if (!opened) {
          report.changed.push(showBytes(rel));
          continue;
        }
        try {
          copyFile(opened.fd, opened.st, src, dst, name, options.hardLink ?? false);
        } finally {
          fs.closeSync(opened.fd);
        }
        report.files++;
        report.bytes += opened.st.size;
        options.onEntry?.(rel, 'file', opened.st.mode & 0o777);
        if (options.onProgress && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = Date.now();
          options.onProgress(report.files);
        }
      } else {
        report.skipped.push(showBytes(rel));
      }
    }
  };
  visit(srcFd, dstFd, [], rules);
  return report;
}

/** Files up to this size are copied through one buffer; larger ones by the kernel. */
const SMALL_FILE = 1024 * 1024;
const copyBuffer = Buffer.allocUnsafe(SMALL_FILE);
const UMASK = process.umask();

/**
 * The file open at `fd` (already checked to be a regular file) into `dst`. A hard link is made
 * by name, so it is checked afterwards to be that very inode (the name may have been swapped);
 * anything else is copied from the fd.
 */
function copyFile(fd: number, st: fs.Stats, srcDir: number, dstDir: number, name: Buffer, hardLink: boolean) {
  const to = inDir(dstDir, name);
  if (hardLink) {
    try {
      fs.linkSync(inDir(srcDir, name), to);
      const made = fs.lstatSync(to);
      if (made.isFile() && made.ino === st.ino && made.dev === st.dev) return;
      fs.unlinkSync(to);
    } catch (err) {
      const code = errnoCode(err);
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOENT') throw err;
    }
  }
  const mode = st.mode & 0o777;
  if (st.size > SMALL_FILE) {
    // the source is reopened through its own fd: the very inode that was checked
    fs.copyFileSync(fdTarget(fd), to, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(to, mode);
    fs.utimesSync(to, st.atime, st.mtime);
    return;
  }
  const out = fs.openSync(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    let at = 0;
    for (;;) {
      const n = fs.readSync(fd, copyBuffer, 0, copyBuffer.length, at);
      if (n === 0) break;
      fs.writeSync(out, copyBuffer, 0, n, at);
      at += n;
    }
    if ((mode & UMASK) !== 0) fs.fchmodSync(out, mode);
    fs.futimesSync(out, st.atime, st.mtime);
  } finally {
    fs.closeSync(out);
  }
}

/** A folder's entries in byte order, with the type readdir reported (undefined: unknown). */
function listEntries(dirFd: number): { name: Buffer; kind: EntryKind | undefined }[] {
  const entries = fs.readdirSync(fdTarget(dirFd), { encoding: 'buffer', withFileTypes: true });
  return entries
    .map((e) => ({
      name: e.name as unknown as Buffer,
      kind: e.isFile()
        ? ('file' as const)
        : e.isDirectory()
          ? ('folder' as const)
          : e.isSymbolicLink()
            ? ('symlink' as const)
            : e.isFIFO() || e.isSocket() || e.isCharacterDevice() || e.isBlockDevice()
              ? ('other' as const)
              : undefined,
    }))
    .sort((a, b) => Buffer.compare(a.name, b.name));
}

function readSmall(dirFd: number, name: string): string | undefined {
  const opened = openFileIn(dirFd, name);
  if (!opened) return undefined;
  try {
    if (opened.st.size > GITIGNORE_MAX) return undefined;
    const buffer = Buffer.alloc(opened.st.size);
    return buffer.subarray(0, fs.readSync(opened.fd, buffer, 0, buffer.length, 0)).toString('utf8');
  } finally {
    fs.closeSync(opened.fd);
  }
}

function textPath(parts: Buffer[]): string {
  return joinBytes(parts).toString('utf8');
}

const { O_RDONLY, O_NONBLOCK } = fs.constants;

/** Copies in flight at once by default (libuv's pool has 4 threads; the rest wait queued). */
const DEFAULT_CONCURRENCY = 8;

/** Errors that say nothing about the entry: the copy must fail, not leave the file out. */
const RESOURCE_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOMEM', 'EIO', 'EINTR']);

/**
 * A folder being copied: its source and destination fds stay open while anything below it is
 * still being copied (`pending`: the walk of its entries, each file copy in flight and each
 * child folder not yet done). At zero its mode and times are set (after every entry is written,
 * since each new entry moves its mtime) and its fds are closed.
 */
interface DirJob {
  src: number;
  dst: number;
  rel: Buffer;
  st: fs.Stats | undefined;
  parent: DirJob | undefined;
  pending: number;
  closed: boolean;
}

const fsp = {
  open: (path: Buffer, flags: number, mode?: number) =>
    new Promise<number>((resolve, reject) =>
      fs.open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))),
    ),
  close: (fd: number) =>
    new Promise<void>((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve()))),
  fstat: (fd: number) =>
    new Promise<fs.Stats>((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st)))),
  read: (fd: number, buffer: Buffer, at: number) =>
    new Promise<number>((resolve, reject) =>
      fs.read(fd, buffer, 0, buffer.length, at, (err, n) => (err ? reject(err) : resolve(n))),
    ),
  write: (fd: number, buffer: Buffer, length: number, at: number) =>
    new Promise<number>((resolve, reject) =>
      fs.write(fd, buffer, 0, length, at, (err, n) => (err ? reject(err) : resolve(n))),
    ),
  fchmod: (fd: number, mode: number) =>
    new Promise<void>((resolve, reject) => fs.fchmod(fd, mode, (err) => (err ? reject(err) : resolve()))),
  futimes: (fd: number, atime: Date, mtime: Date) =>
    new Promise<void>((resolve, reject) =>
      fs.futimes(fd, atime, mtime, (err) => (err ? reject(err) : resolve())),
    ),
};

/**
 * `copyTreeFds` with up to `concurrency` file copies in flight at once (on libuv's thread
 * pool). The walk is the same and stays on this thread: every folder opened with O_NOFOLLOW
 * through its parent's fd and fstat-checked, in byte order; each regular file is then opened
 * through its folder's fd with O_NOFOLLOW|O_NONBLOCK, fstat-checked and copied from that fd,
 * as a job of its own. The report is the same (`skipped` and `changed` sorted); `onEntry` is
 * told about a file when its copy is done and about a folder when everything in it is. Any
 * error other than an entry changing fails the whole copy, once the jobs in flight are done
 * and every fd this opened is closed.
 */
export async function copyTreeFdsAsync(
  srcFd: number,
  dstFd: number,
  options: TreeCopyOptions & { concurrency?: number } = {},
): Promise<TreeCopyReport> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const report: TreeCopyReport = { files: 0, bytes: 0, skipped: [], changed: [] };
  let lastProgress = Date.now();
  const rules = options.gitignore
    ? GitignoreRules.empty().with('', options.gitignore.extraRules)
    : GitignoreRules.empty();

  let failed = false;
  let failure: unknown;
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    failure = err;
  };

  const open = new Set<DirJob>();
  const closeDir = (dir: DirJob) => {
    if (dir.closed || dir.parent === undefined) return;
    dir.closed = true;
    open.delete(dir);
    for (const fd of [dir.dst, dir.src]) {
      try {
        fs.closeSync(fd);
      } catch (err) {
        fail(err);
      }
    }
  };
  /** One thing below `dir` is done; at zero the folder is finished, then its parent is told. */
  const release = (dir: DirJob | undefined) => {
    while (dir && --dir.pending === 0) {
      if (dir.parent === undefined) return;
      if (!failed && dir.st) {
        try {
          fs.fchmodSync(dir.dst, dir.st.mode & 0o777);
          fs.futimesSync(dir.dst, dir.st.atime, dir.st.mtime);
          options.onEntry?.(dir.rel, 'folder', dir.st.mode & 0o777);
        } catch (err) {
          fail(err);
        }
      }
      closeDir(dir);
      dir = dir.parent;
    }
  };

  let inFlight = 0;
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const buffers: Buffer[] = [];
  const hardLink = options.hardLink ?? false;

  const fileJob = async (dir: DirJob, name: Buffer, rel: Buffer, buffer: Buffer) => {
    let fd: number;
    try {
      fd = await fsp.open(inDir(dir.src, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      if (RESOURCE_ERRORS.has(errnoCode(err) ?? '')) throw err;
      report.changed.push(showBytes(rel));
      return;
    }
    let st: fs.Stats;
    try {
      st = await fsp.fstat(fd);
      if (!st.isFile()) {
        report.changed.push(showBytes(rel));
        return;
      }
      await copyFileAsync(fd, st, dir.src, dir.dst, name, hardLink, buffer);
    } finally {
      await fsp.close(fd);
    }
    report.files++;
    report.bytes += st.size;
    options.onEntry?.(rel, 'file', st.mode & 0o777);
    if (options.onProgress && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      options.onProgress(report.files);
    }
  };

  /** Starts the copy of one file once fewer than `concurrency` are in flight. */
  const startFile = async (dir: DirJob, name: Buffer, rel: Buffer) => {
    while (!failed && inFlight >= concurrency) await new Promise<void>((resolve) => (wake = resolve));
    if (failed) return;
    inFlight++;
    dir.pending++;
    const buffer = buffers.pop() ?? Buffer.allocUnsafeSlow(SMALL_FILE);
    fileJob(dir, name, rel, buffer)
      .catch(fail)
      .finally(() => {
        buffers.push(buffer);
        inFlight--;
        release(dir);
        wakeUp();
      });
  };

  const visit = async (dir: DirJob, base: Buffer[], inherited: GitignoreRules) => {
    const { src, dst } = dir;
    const local = options.gitignore
      ? inherited.with(textPath(base), readSmall(src, '.gitignore'))
      : inherited;
    for (const entry of listEntries(src)) {
      if (failed) return;
      const name = entry.name;
      if (options.skipGit && isGitName(name)) continue;
      const parts = [...base, name];
      const rel = joinBytes(parts);
      let kind = entry.kind;
      if (kind === undefined) {
        const st = lstatIn(src, name);
        if (!st) continue;
        kind = kindOf(st);
      }
      if (options.skip?.(rel, kind)) continue;
      if (options.gitignore && local.ignores(textPath(parts), kind === 'folder')) {
        if (!options.gitignore.keep?.(rel, kind)) continue;
      }
      if (kind === 'folder') {
        const child = openChildDir(src, name);
        if (child === undefined) {
          report.changed.push(showBytes(rel));
          continue;
        }
        let out: number | undefined;
        let cst: fs.Stats;
        try {
          cst = fs.fstatSync(child);
          fs.mkdirSync(inDir(dst, name), 0o700);
          out = openChildDir(dst, name);
          if (out === undefined)
            throw new Error(`the folder just made for ${showBytes(rel)} cannot be opened`);
        } catch (err) {
          fs.closeSync(child);
          throw err;
        }
        const sub: DirJob = { src: child, dst: out, rel, st: cst, parent: dir, pending: 1, closed: false };
        open.add(sub);
        dir.pending++;
        await visit(sub, parts, local);
        release(sub);
      } else if (kind === 'symlink') {
        let target: Buffer;
        let st: fs.Stats | undefined;
        try {
          target = fs.readlinkSync(inDir(src, name), { encoding: 'buffer' });
          st = lstatIn(src, name);
        } catch {
          report.changed.push(showBytes(rel));
          continue;
        }
        fs.symlinkSync(target, inDir(dst, name));
        if (st) fs.lutimesSync(inDir(dst, name), st.atime, st.mtime);
        options.onEntry?.(rel, 'symlink', 0o777);
      } else if (kind === 'file') {
        await startFile(dir, name, rel);
      } else {
        report.skipped.push(showBytes(rel));
      }
    }
  };

  const root: DirJob = {
    src: srcFd,
    dst: dstFd,
    rel: Buffer.alloc(0),
    st: undefined,
    parent: undefined,
    pending: 1,
    closed: false,
  };
  try {
    await visit(root, [], rules);
  } catch (err) {
    fail(err);
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (failed) {
    for (const dir of [...open]) closeDir(dir);
    throw failure;
  }
  release(root);
  report.skipped.sort();
  report.changed.sort();
  return report;
}

/** `copyFile` on the thread pool, through `buffer` (one per job in flight). */
async function copyFileAsync(
  fd: number,
  st: fs.Stats,
  srcDir: number,
  dstDir: number,
  name: Buffer,
  hardLink: boolean,
  buffer: Buffer,
): Promise<void> {
  const to = inDir(dstDir, name);
  if (hardLink) {
    try {
      await fs.promises.link(inDir(srcDir, name), to);
      const made = await fs.promises.lstat(to);
      if (made.isFile() && made.ino === st.ino && made.dev === st.dev) return;
      await fs.promises.unlink(to);
    } catch (err) {
      const code = errnoCode(err);
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOENT') throw err;
    }
  }
  const mode = st.mode & 0o777;
  if (st.size > SMALL_FILE) {
    // the source is reopened through its own fd: the very inode that was checked
    await fs.promises.copyFile(fdTarget(fd), to, fs.constants.COPYFILE_EXCL);
    await fs.promises.chmod(to, mode);
    await fs.promises.utimes(to, st.atime, st.mtime);
    return;
  }
  const out = await fsp.open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    let at = 0;
    for (;;) {
      const n = await fsp.read(fd, buffer, at);
      if (n === 0) break;
      for (let done = 0; done < n;) done += await fsp.write(out, buffer.subarray(done), n - done, at + done);
      at += n;
      // a short read of a regular file is its end (saves a read that would return 0)
      if (n < buffer.length) break;
    }
    if ((mode & UMASK) !== 0) await fsp.fchmod(out, mode);
    await fsp.futimes(out, st.atime, st.mtime);
  } finally {
    await fsp.close(out);
  }
}
