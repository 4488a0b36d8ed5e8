import { BerthError } from '../../errors.js';
import type { ContainerRuntime, Labels } from '../../runtime/container-runtime.js';
import { fetchTeamRepo } from './fetch-team-repo.js';
import { NOT_SYNC_STATE, type TeamRepoPaths } from './team-repo-paths.js';
import { MIRROR_DIR, withWorkTreeGit, type WorkTreeGit } from './work-tree-git.js';

export const LOCAL_CHANGES_MESSAGE = 'berth sync: local changes in the team workspace';

export interface TeamSyncReport {
  /** The team's branch already held everything of origin's: nothing was merged. */
  upToDate: boolean;
  /** The commit berth made of the local changes first, when there were any. */
  localCommit?: string;
  /** The team's branch before the sync (before the local commit). */
  before: string;
  /** The team's branch after the sync. */
  after: string;
  /** origin's head of the branch, as fetched: what was merged (or would have been). */
  head: string;
  /** True when origin's commits were merged in (fast-forward or merge commit). */
  merged: boolean;
  /** Files both sides changed; not empty means nothing was merged and the tree is the local commit. */
  conflicts: string[];
  /** On a conflict, each side's commit. */
  sides?: { local: string; upstream: string };
}

export interface SyncTeamRepoOptions {
  runtime: ContainerRuntime;
  paths: TeamRepoPaths;
  branch: string;
  /** On the short-lived container that runs git over the work tree. */
  labels: Labels;
  onProgress?: (line: string) => void;
  /** See fetchTeamRepo: a URL with credentials for this fetch only. */
  credentialsUrl?: string;
  /** The work-tree container's name starts with this. */
  namePrefix?: string;
  signal?: AbortSignal;
}

/**
 * Fetches from origin (on the host, into the host-only mirror), then in a locked-down container:
 * takes the fetched refs from the read-only mirror,
 * commits whatever changed in the work tree on the team's branch, and merges origin's branch into
 * it. A conflict is recorded (files, each side's commit) and the merge aborted, so the work tree is
 * exactly the local commit: nothing is lost, nothing is half-merged, and a second sync meets the
 * same conflict. The caller holds the team's lock.
 */
export async function syncTeamRepo(options: SyncTeamRepoOptions): Promise<TeamSyncReport> {
  const { branch } = options;
  await fetchTeamRepo({
    paths: options.paths,
    ...(options.credentialsUrl ? { credentialsUrl: options.credentialsUrl } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.onProgress?.(`merging origin/${branch} into the team's branch ${branch}`);
  return withWorkTreeGit(
    {
      runtime: options.runtime,
      paths: options.paths,
      labels: options.labels,
      ...(options.namePrefix ? { namePrefix: options.namePrefix } : {}),
    },
    (git) => syncInContainer(git, branch),
  );
}

async function syncInContainer(git: WorkTreeGit, branch: string): Promise<TeamSyncReport> {
  // origin's refs as the host fetched them into the mirror
  const fetched = await git.run(
    [
      'fetch',
      '-q',
      '--no-tags',
      '--prune',
      // the mirror is root's (the host's): its upload-pack is told that is expected
      `--upload-pack=git -c safe.directory=${MIRROR_DIR} upload-pack`,
      '--',
      MIRROR_DIR,
      '+refs/remotes/origin/*:refs/remotes/origin/*',
    ],
    true,
  );
  if (fetched.code !== 0)
    throw new BerthError(
      'GIT_FAILED',
      `taking origin's commits from the mirror failed: ${fetched.stderr.trim() || `exit ${fetched.code}`}`,
    );
  await checkOnBranch(git, branch);
  // a sync that died mid-merge is undone first: the work tree was committed before it began
  if ((await git.run(['rev-parse', '-q', '--verify', 'MERGE_HEAD'])).code === 0)
    await git.check(['merge', '--abort'], 'undoing a merge an earlier sync left');
  const before = await revParse(git, 'HEAD');
  const localCommit = await commitLocalChanges(git);
  const local = localCommit ?? before;
  const upstreamRef = `refs/remotes/origin/${branch}`;
  const head = await revParse(git, upstreamRef).catch(() => {
    throw new BerthError(
      'NOT_FOUND',
      `origin has no branch "${branch}" any more (the fetch found no ${upstreamRef}); nothing was merged, the local changes are committed`,
      { branch },
    );
  });
  const report = { before, head, ...(localCommit ? { localCommit } : {}) };
  if ((await git.run(['merge-base', '--is-ancestor', head, local])).code === 0)
    return { ...report, upToDate: true, merged: false, after: local, conflicts: [] };
  const merge = await git.run([
    'merge',
    '--no-edit',
    '--no-stat',
    '-m',
    `berth sync: merge origin/${branch}`,
    head,
  ]);
  if (merge.code === 0)
    return { ...report, upToDate: false, merged: true, after: await revParse(git, 'HEAD'), conflicts: [] };
  const conflicts = unmergedPaths(await git.check(['ls-files', '-u', '-z'], 'listing the conflicted files'));
  await git.check(['merge', '--abort'], 'undoing the conflicted merge');
  const after = await revParse(git, 'HEAD');
  if (conflicts.length === 0)
    throw new BerthError(
      'GIT_FAILED',
      `merging origin/${branch} failed without a conflict and was undone: ${merge.stderr.trim() || merge.stdout.trim()}`,
      { before, after, head },
    );
  return { ...report, upToDate: false, merged: false, after, conflicts, sides: { local, upstream: head } };
}

async function checkOnBranch(git: WorkTreeGit, branch: string): Promise<void> {
  const r = await git.run(['symbolic-ref', '-q', 'HEAD']);
  const on = r.stdout.trim();
  if (r.code !== 0 || on !== `refs/heads/${branch}`)
    throw new BerthError(
      'GIT_FAILED',
      `the team's repository is not on its branch ${branch} (HEAD is ${on || 'detached'}); nothing was changed`,
      { branch, head: on },
    );
}

async function revParse(git: WorkTreeGit, rev: string): Promise<string> {
  return (await git.check(['rev-parse', '--verify', '-q', `${rev}^{commit}`], `reading ${rev}`)).trim();
}

/** `add -A` and a commit when anything changed; the new commit, or undefined. */
async function commitLocalChanges(git: WorkTreeGit): Promise<string | undefined> {
  await git.check(['add', '-A', '--', '.', NOT_SYNC_STATE], 'staging the local changes');
  if ((await git.run(['diff', '--cached', '--quiet', '--no-ext-diff'])).code === 0) return undefined;
  await git.check(
    ['commit', '-q', '--no-verify', '-m', LOCAL_CHANGES_MESSAGE],
    'committing the local changes',
  );
  return revParse(git, 'HEAD');
}

/** The paths of `ls-files -u -z` (one line per stage), each once, in order. */
function unmergedPaths(out: string): string[] {
  const paths = new Set<string>();
  for (const entry of out.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab !== -1) paths.add(entry.slice(tab + 1));
  }
  return [...paths];
}
