import * as fs from 'node:fs';
import { errnoOf } from '../errors.js';
import { isGitName, joinBytes, showBytes } from './byte-path.js';
import {
  fdTarget,
  inDir,
  kindOf,
  lstatIn,
  openChildDir,
  openFileIn,
  readSmallFileIn,
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
      ? inherited.with(textPath(base), readSmallFileIn(src, '.gitignore', GITIGNORE_MAX)?.toString('utf8'))
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
      const code = errnoOf(err);
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

function textPath(parts: Buffer[]): string {
  return joinBytes(parts).toString('utf8');
}
