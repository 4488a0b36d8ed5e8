import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun } from './child.js';
import { textOfSize } from './text-content.js';

/** 10 packages × 10 modules × 100 files = 10,000 files. */
const PACKAGES = 10;
const MODULES = 10;
const FILES_PER_MODULE = 100;
/** Sizes spread evenly over 1,000..6,999 bytes: about 40 MB in all. */
const MIN_FILE_BYTES = 1000;
const FILE_BYTES_SPREAD = 6000;

export interface BenchProject {
  path: string;
  files: number;
  bytes: number;
  /** Uncommitted edits left in the working tree: changed, untracked, deleted. */
  uncommitted: { changed: number; untracked: number; deleted: number };
  /** Committed files a session changes before `apply` (none of them touched on the host). */
  applyTargets: string[];
}

const pad = (n: number) => String(n).padStart(2, '0');
const filePath = (p: number, m: number, f: number) =>
  `pkg${pad(p)}/mod${pad(m)}/file${String(f).padStart(3, '0')}.txt`;

/**
 * Writes the deterministic project into `path`, commits it in a fresh git repository, then
 * leaves a few uncommitted edits in pkg09 (so a session has something to overlay).
 */
export async function makeBenchProject(path: string, applyFiles: number): Promise<BenchProject> {
  mkdirSync(path, { recursive: true });
  let files = 0;
  let bytes = 0;
  for (let p = 0; p < PACKAGES; p++) {
    for (let m = 0; m < MODULES; m++) {
      mkdirSync(join(path, `pkg${pad(p)}`, `mod${pad(m)}`), { recursive: true });
      for (let f = 0; f < FILES_PER_MODULE; f++) {
        const size = MIN_FILE_BYTES + ((files * 7919) % FILE_BYTES_SPREAD);
        const rel = filePath(p, m, f);
        writeFileSync(join(path, rel), textOfSize(size, rel));
        files++;
        bytes += size;
      }
    }
  }
  const git = (args: string[]) => mustRun('git', ['-C', path, ...args]);
  await git(['init', '-q']);
  await git(['add', '-A']);
  await git(['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'project']);
  // packed once, here, as a real repository is: the 10,000 loose objects of a fresh commit would
  // make every start hard-link 10,000 files, and git's own background gc (which the bench turns
  // off) used to pack them at a moment nobody chose, racing the measurements
  await git(['gc', '--quiet']);

  const changed = [filePath(9, 9, 0), filePath(9, 9, 1), filePath(9, 9, 2)];
  for (const rel of changed) writeFileSync(join(path, rel), textOfSize(2048, `${rel} edited on the host`));
  const untracked = ['pkg09/notes.txt', 'pkg09/mod09/scratch.txt'];
  for (const rel of untracked) writeFileSync(join(path, rel), textOfSize(512, `${rel} untracked`));
  rmSync(join(path, filePath(9, 9, 3)));

  const applyTargets: string[] = [];
  for (let i = 0; i < applyFiles; i++)
    applyTargets.push(filePath(0, Math.floor(i / FILES_PER_MODULE), i % FILES_PER_MODULE));
  return {
    path,
    files,
    bytes,
    uncommitted: { changed: changed.length, untracked: untracked.length, deleted: 1 },
    applyTargets,
  };
}
