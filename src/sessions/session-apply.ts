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

interface Version {
  kind: 'file' | 'link';
  data: Buffer;
  executable: boolean;
}

/**
 * Three-way apply: for every path the session changed since its baseline, the host copy is
 * compared with the baseline. Untouched on the host: the session's version is written
 * (atomically, never through a link) or the deletion is made. Changed on the host as well:
 * nothing on the host is touched, and the session's version is saved beside it. `.git` is
 * never written.
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
  const listing = await git.run(['diff', '--name-only', '-z', '--no-renames', baseline, head]);
  const paths = listing.split('\0').filter((p) => p !== '' && p !== '.git' && !p.startsWith('.git/'));
  for (const path of paths) {
    if (only.length > 0 && !only.some((o) => path === o || path.startsWith(`${o.replace(/\/$/, '')}/`)))
      continue;
    const base = await versionAt(git, baseline, path);
    const mine = await versionAt(git, head, path);
    const theirs = hostVersion(host, path);
    if (mine?.kind === 'link' && !linkStaysInside(path, mine.data.toString('utf8'))) {
      report.refused.push({ path, why: `a link to ${mine.data.toString('utf8')}, outside the project` });
      continue;
    }
    if (same(theirs, mine)) continue;
    if (!same(theirs, base)) {
      const copy = mine ? `${path}.berth-session-${sessionId}` : null;
      if (mine && copy) writeVersion(host, copy, mine);
      report.conflicts.push({
        path,
        sessionCopy: copy,
        why: mine ? 'changed on the host and in the session' : 'deleted in the session, changed on the host',
      });
      continue;
    }
    if (mine) {
      writeVersion(host, path, mine);
      report.written.push(path);
    } else {
      host.remove(path);
      report.deleted.push(path);
    }
  }
  return report;
}

async function versionAt(git: SandboxGit, commit: string, path: string): Promise<Version | undefined> {
  const entry = (await git.run(['ls-tree', '-z', commit, '--', path])).split('\0')[0];
  if (!entry) return undefined;
  const mode = entry.split(' ')[0];
  const data = await git.runBuffer(['cat-file', 'blob', `${commit}:${path}`], { maxBuffer: HOST_READ_MAX });
  return { kind: mode === '120000' ? 'link' : 'file', data, executable: mode === '100755' };
}

function hostVersion(host: ConfinedRoot, path: string): Version | undefined {
  try {
    const link = host.readLinkAt(path);
    if (link !== undefined) return { kind: 'link', data: Buffer.from(link), executable: false };
    return { kind: 'file', data: host.readFile(path, HOST_READ_MAX), executable: false };
  } catch (err) {
    if (err instanceof BerthError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

function same(a: Version | undefined, b: Version | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.kind === b.kind && a.data.equals(b.data);
}

function writeVersion(host: ConfinedRoot, path: string, v: Version): void {
  if (v.kind === 'link') host.writeLink(path, v.data.toString('utf8'));
  else host.writeFile(path, v.data, v.executable ? 0o755 : undefined);
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
