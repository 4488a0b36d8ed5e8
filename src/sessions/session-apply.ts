import { createHash } from 'node:crypto';
import { BerthError } from '../errors.js';
import { ConfinedRoot } from '../workspace/confined-root.js';
import type { SandboxGit } from './sandbox-git.js';

const HOST_READ_MAX = 256 * 1024 * 1024;

export interface ApplyReport {
  written: string[];
  deleted: string[];
  /** Changed on both sides: the host file was kept; the session's version is beside it. */
  conflicts: { path: string; sessionCopy: string | null; why: string }[];
  /** Links that would point outside the project: not applied. */
  refused: { path: string; why: string }[];
}

/** One side of a path: a file or a link, named by its git object id. */
interface Entry {
  kind: 'file' | 'link';
  id: string;
  executable: boolean;
}

type Action = { path: string; write: Entry; as: string } | { path: string; remove: true };

/**
 * Three-way apply: for every path the session changed since its baseline, the host copy is
 * compared with the baseline. Untouched on the host: the session's version is written
 * (atomically, never through a link) or the deletion is made. Changed on the host as well:
 * nothing on the host is touched, and the session's version is saved beside it. `.git` is
 * never written. Host files are compared by their git object id, computed here; only the blobs
 * to be written are read, in one batch.
 */
export async function applySession(
  git: SandboxGit,
  hostPath: string,
  baseline: string,
  head: string,
  sessionId: string,
  only: string[] = [],
): Promise<ApplyReport> {
  const host = new ConfinedRoot(hostPath);
  const report: ApplyReport = { written: [], deleted: [], conflicts: [], refused: [] };
  const hashAlgo =
    (await git.run(['rev-parse', '--show-object-format'])).trim() === 'sha256' ? 'sha256' : 'sha1';
  const listing = await git.run(['diff', '--name-only', '-z', '--no-renames', baseline, head]);
  const paths = listing
    .split('\0')
    .filter((p) => p !== '' && p !== '.git' && !p.startsWith('.git/'))
    .filter(
      (p) => only.length === 0 || only.some((o) => p === o || p.startsWith(`${o.replace(/\/$/, '')}/`)),
    );
  const [baseTree, headTree] = await Promise.all([tree(git, baseline), tree(git, head)]);
  const actions: Action[] = [];
  for (const path of paths) {
    const base = baseTree.get(path);
    const mine = headTree.get(path);
    const theirs = hostEntry(host, path, hashAlgo);
    if (same(theirs, mine)) continue;
    if (!same(theirs, base)) {
      const copy = mine ? `${path}.berth-session-${sessionId}` : null;
      if (mine && copy) actions.push({ path, write: mine, as: copy });
      report.conflicts.push({
        path,
        sessionCopy: copy,
        why: mine ? 'changed on the host and in the session' : 'deleted in the session, changed on the host',
      });
      continue;
    }
    actions.push(mine ? { path, write: mine, as: path } : { path, remove: true });
  }
  const contents = await git.blobs([...new Set(actions.flatMap((a) => ('write' in a ? [a.write.id] : [])))]);
  for (const action of actions) {
    if ('remove' in action) {
      host.remove(action.path);
      report.deleted.push(action.path);
      continue;
    }
    const data = contents.get(action.write.id);
    if (!data) throw new BerthError('ENGINE_ERROR', `the session copy of "${action.path}" could not be read`);
    if (action.write.kind === 'link') {
      const target = data.toString('utf8');
      if (!linkStaysInside(action.path, target)) {
        report.refused.push({ path: action.path, why: `a link to ${target}, outside the project` });
        report.conflicts = report.conflicts.filter((c) => c.path !== action.path);
        continue;
      }
      host.writeLink(action.as, target);
    } else {
      host.writeFile(action.as, data, action.write.executable ? 0o755 : undefined);
    }
    if (action.as === action.path) report.written.push(action.path);
  }
  return report;
}

/** path → entry for every blob of a commit's tree, in one `git ls-tree`. */
async function tree(git: SandboxGit, commit: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  for (const line of (await git.run(['ls-tree', '-r', '-z', commit])).split('\0')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, id] = line.slice(0, tab).split(' ');
    if (type !== 'blob' || id === undefined) continue;
    out.set(line.slice(tab + 1), {
      kind: mode === '120000' ? 'link' : 'file',
      id,
      executable: mode === '100755',
    });
  }
  return out;
}

function hostEntry(host: ConfinedRoot, path: string, algo: 'sha1' | 'sha256'): Entry | undefined {
  try {
    const link = host.readLinkAt(path);
    if (link !== undefined) return { kind: 'link', id: blobId(Buffer.from(link), algo), executable: false };
    return { kind: 'file', id: blobId(host.readFile(path, HOST_READ_MAX), algo), executable: false };
  } catch (err) {
    if (err instanceof BerthError && err.code === 'NOT_FOUND') return undefined;
    // a folder where the session has a file: a change on the host, never overwritten
    if (err instanceof BerthError && err.code === 'IS_A_FOLDER')
      return { kind: 'file', id: 'folder', executable: false };
    throw err;
  }
}

/** git's object id of a blob: hash of "blob <size>\0" and the bytes. */
function blobId(data: Buffer, algo: 'sha1' | 'sha256'): string {
  return createHash(algo).update(`blob ${data.length}\0`).update(data).digest('hex');
}

function same(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.kind === b.kind && a.id === b.id;
}

/** A relative target that stays inside the project, seen from the link's own folder. */
function linkStaysInside(path: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  const parts = path.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return false;
      parts.pop();
    } else parts.push(part);
  }
  return true;
}
