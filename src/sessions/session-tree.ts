import * as fs from 'node:fs';
import { join } from 'node:path';
import { bytesKey, isGitName, joinBytes } from '../workspace/byte-path.js';
import { kindOf, listNames, lstatIn, openChildDir, openRoot } from '../workspace/fd-dir.js';
import type { SideEntry } from './host-entry.js';
import type { SandboxGit } from './sandbox-git.js';

/** One path the session changed, from `git diff --raw -z`: both sides, as git has them. */
export interface ChangedPath {
  path: Buffer;
  base?: SideEntry;
  head?: SideEntry;
  baseGitMode: number;
  headGitMode: number;
}

export interface BaselineTree {
  /** Files and links (and nested repositories) of the baseline commit. */
  files: number;
  folders: Set<string>;
}

/** `<sessionRoot>/baseline.json`, written at session start; undefined for older sessions. */
export interface BaselineModes {
  modes: Map<string, number>;
  folders: Set<string>;
}

/** What the sandbox workspace holds now, read through fds (nothing runs in the container). */
export interface WorkspaceScan {
  modes: Map<string, number>;
  folders: Set<string>;
  /** Folders (and trees of only folders) that hold nothing, outside the baseline. */
  emptyNew: Buffer[];
  special: Buffer[];
}

const ZERO_ID = /^0+$/;

export async function changedPaths(git: SandboxGit, baseline: string, head: string): Promise<ChangedPath[]> {
  const raw = await git.runBuffer(['diff', '--raw', '-z', '--no-renames', '--no-abbrev', baseline, head], {
    maxBuffer: 1024 * 1024 * 1024,
  });
  const out: ChangedPath[] = [];
  let at = 0;
  while (at < raw.length) {
    const metaEnd = raw.indexOf(0, at);
    const pathEnd = raw.indexOf(0, metaEnd + 1);
    if (metaEnd < 0 || pathEnd < 0) break;
    const [oldMode = '', newMode = '', oldId = '', newId = ''] = raw
      .subarray(at + 1, metaEnd)
      .toString('latin1')
      .split(' ');
    const path = Buffer.from(raw.subarray(metaEnd + 1, pathEnd));
    at = pathEnd + 1;
    out.push({
      path,
      ...side('base', oldMode, oldId),
      ...side('head', newMode, newId),
      baseGitMode: parseInt(oldMode, 8),
      headGitMode: parseInt(newMode, 8),
    });
  }
  return out;
}

function side(which: 'base' | 'head', mode: string, id: string): Partial<Record<'base' | 'head', SideEntry>> {
  if (ZERO_ID.test(id) && mode === '000000') return {};
  if (mode === '120000') return { [which]: { kind: 'link', id } };
  if (mode === '160000') return { [which]: { kind: 'gitlink', id } };
  return { [which]: { kind: 'file', id, mode: mode === '100755' ? 0o755 : 0o644, size: -1 } };
}

export async function baselineTree(git: SandboxGit, baseline: string): Promise<BaselineTree> {
  const raw = await git.runBuffer(['ls-tree', '-r', '-t', '-z', baseline], { maxBuffer: 1024 * 1024 * 1024 });
  const tree: BaselineTree = { files: 0, folders: new Set() };
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf(0, at);
    const line = raw.subarray(at, end < 0 ? raw.length : end);
    at = end < 0 ? raw.length : end + 1;
    const tab = line.indexOf(9);
    if (tab < 0) continue;
    const type = line.subarray(0, tab).toString('latin1').split(' ')[1];
    if (type === 'tree') tree.folders.add(bytesKey(line.subarray(tab + 1)));
    else tree.files++;
  }
  return tree;
}

export function readBaselineModes(sessionRoot: string): BaselineModes | undefined {
  let text: string;
  try {
    text = fs.readFileSync(join(sessionRoot, 'baseline.json'), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as { modes?: Record<string, number>; folders?: string[] };
  return {
    modes: new Map(Object.entries(parsed.modes ?? {}).map(([k, v]) => [k, v & 0o777])),
    folders: new Set(parsed.folders ?? []),
  };
}

/**
 * Walks the whole workspace through fds, never through a link: every file's and link's mode,
 * every folder, special files, and the empty leaves of new folders (outside `baselineFolders`)
 * that hold nothing but folders (empty folders the session made). It reads nothing git does
 * not, so it can run while the session's git commits the same tree.
 */
export function scanWorkspace(workspace: string, baselineFolders: Set<string>): WorkspaceScan {
  const scan: WorkspaceScan = { modes: new Map(), folders: new Set(), emptyNew: [], special: [] };
  const rootFd = openRoot(workspace);
  /**
   * Visits a folder. A new folder that holds only folders hands its empty leaves up, so the
   * topmost such folder's parent (which holds more, or is not new) records them.
   */
  const visit = (fd: number, base: Buffer[]): Buffer[] | undefined => {
    const names = listNames(fd);
    const childLeaves: Buffer[] = [];
    let onlyFolders = true;
    for (const name of names) {
      if (isGitName(name)) {
        onlyFolders = false;
        continue;
      }
      const parts = [...base, name];
      const key = bytesKey(joinBytes(parts));
      const st = lstatIn(fd, name);
      if (st === undefined) continue;
      const kind = kindOf(st);
      if (kind !== 'folder') {
        onlyFolders = false;
        if (kind === 'other') scan.special.push(joinBytes(parts));
        else scan.modes.set(key, st.mode & 0o777);
        continue;
      }
      scan.folders.add(key);
      const child = openChildDir(fd, name);
      if (child === undefined) {
        onlyFolders = false;
        continue;
      }
      try {
        const leaves = visit(child, parts);
        if (leaves === undefined) onlyFolders = false;
        else childLeaves.push(...leaves);
      } finally {
        fs.closeSync(child);
      }
    }
    const isNew = base.length > 0 && !baselineFolders.has(bytesKey(joinBytes(base)));
    if (isNew && onlyFolders) return names.length === 0 ? [joinBytes(base)] : childLeaves;
    scan.emptyNew.push(...childLeaves);
    return undefined;
  };
  try {
    visit(rootFd, []);
  } finally {
    fs.closeSync(rootFd);
  }
  return scan;
}
