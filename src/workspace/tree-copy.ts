import * as fs from 'node:fs';
import { isGitName, joinBytes, showBytes } from './byte-path.js';
import {
  errnoCode,
  fdTarget,
  inDir,
  kindOf,
  listNames,
  openChildDir,
  openFileIn,
  type EntryKind,
} from './fd-dir.js';
import { GitignoreRules } from './gitignore-rules.js';

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
    for (const name of listNames(src)) {
      if (options.skipGit && isGitName(name)) continue;
      const parts = [...base, name];
      const rel = joinBytes(parts);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(inDir(src, name));
      } catch {
        report.changed.push(showBytes(rel));
        continue;
      }
      const kind = kindOf(st);
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
        try {
          target = fs.readlinkSync(inDir(src, name), { encoding: 'buffer' });
        } catch {
          report.changed.push(showBytes(rel));
          continue;
        }
        fs.symlinkSync(target, inDir(dst, name));
        fs.lutimesSync(inDir(dst, name), st.atime, st.mtime);
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

/**
 * The file open at `fd` (already checked to be a regular file) into `dst`. A hard link is made
 * by name, so it is checked afterwards to be that very inode (the name may have been swapped);
 * anything else falls back to a copy from the fd.
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
  // the source is reopened through its own fd: the very inode that was checked
  fs.copyFileSync(fdTarget(fd), to, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(to, st.mode & 0o777);
  fs.utimesSync(to, st.atime, st.mtime);
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
