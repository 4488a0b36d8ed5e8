import {
  copyFileSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';

export interface CopyReport {
  files: number;
  /** Sockets, FIFOs and devices: nothing a project needs, and unsafe to open. */
  skipped: string[];
}

/** How often a long copy says how far it got. */
const PROGRESS_EVERY_MS = 1000;

/**
 * Copies a folder: files with their mode and times, links as links (never followed), folders
 * recursively. Says how many files it has copied about once a second, so a large project shows
 * progress.
 */
export function copyTree(from: string, to: string, onProgress?: (files: number) => void): CopyReport {
  const report: CopyReport = { files: 0, skipped: [] };
  let lastReport = Date.now();
  const walk = (src: string, dst: string, rel: string) => {
    const stat = lstatSync(src);
    mkdirSync(dst, { recursive: true, mode: stat.mode & 0o7777 });
    for (const entry of readdirSync(src, { withFileTypes: true })) {
      const s = join(src, entry.name);
      const d = join(dst, entry.name);
      const r = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(s, d, r);
      else if (entry.isSymbolicLink()) {
        symlinkSync(readlinkSync(s), d);
        const st = lstatSync(s);
        lutimesSync(d, st.atime, st.mtime);
      } else if (entry.isFile()) {
        copyFileSync(s, d);
        const st = lstatSync(s);
        utimesSync(d, st.atime, st.mtime);
        report.files++;
        if (onProgress && Date.now() - lastReport >= PROGRESS_EVERY_MS) {
          lastReport = Date.now();
          onProgress(report.files);
        }
      } else report.skipped.push(r);
    }
    utimesSync(dst, stat.atime, stat.mtime);
  };
  walk(from, to, '');
  return report;
}
