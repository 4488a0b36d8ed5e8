import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { BerthError, errnoOf } from '../../errors.js';
import { listFolder, removePath } from '../../workspace/path-ops.js';
import { parseGitUrl, redactUrl } from './git-url.js';
import { runHostGit } from './host-git.js';
import { remoteBranches } from './remote-branches.js';
import { handToTeamUser, mirrorDirOf, type TeamRepoPaths } from './team-repo-paths.js';

/** A clone may take long (a big repository); it is bounded all the same. */
export const CLONE_TIMEOUT_MS = 30 * 60_000;

export interface CloneTeamRepoOptions {
  url: string;
  /** Default: the branch the remote's HEAD points at. */
  branch?: string;
  paths: TeamRepoPaths;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ClonedTeamRepo {
  /** The URL as the git folder's config holds it: without userinfo. */
  url: string;
  branch: string;
  head: string;
}

/**
 * Clones a team's repository: the work tree into `paths.workspace` (which must not exist yet, or
 * be empty: no container has seen it, so host git may write it), the git folder into
 * `paths.gitDir`, with no hooks copied and none run. The workspace keeps no `.git` pointing at the
 * git folder, so host git never finds a repository from it. Both are handed to uid 1000 (the
 * preview containers write build caches). On any failure neither is left behind.
 */
export async function cloneTeamRepo(options: CloneTeamRepoOptions): Promise<ClonedTeamRepo> {
  const { paths } = options;
  const parsed = parseGitUrl(options.url);
  const shown = redactUrl(options.url);
  const workspaceExisted = checkEmptyTarget(paths.workspace, 'workspace');
  checkEmptyTarget(paths.gitDir, 'git folder');
  const cwd = dirname(paths.workspace);
  fs.mkdirSync(cwd, { recursive: true });
  const credentials = parsed.credentials;
  const remote = await remoteBranches(parsed.clean, {
    cwd,
    ...(credentials ? { credentials } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const branch = options.branch ?? remote.defaultBranch;
  if (remote.branches.length === 0)
    throw new BerthError(
      'NOT_FOUND',
      `the git repository ${shown} has no branches (is it empty?); push a branch first`,
    );
  if (branch === undefined)
    throw new BerthError(
      'INVALID_ARGUMENT',
      `the git repository ${shown} names no default branch; choose one with --branch: ${remote.branches.join(', ')}`,
      { branches: remote.branches },
    );
  if (!remote.branches.includes(branch))
    throw new BerthError(
      'NOT_FOUND',
      `the git repository ${shown} has no branch "${branch}"; its branches are: ${remote.branches.join(', ')}`,
      { branch, branches: remote.branches },
    );
  fs.mkdirSync(dirname(paths.gitDir), { recursive: true });
  try {
    await runHostGit(
      [
        'clone',
        '--progress',
        '--template=',
        `--separate-git-dir=${paths.gitDir}`,
        `--branch=${branch}`,
        '--no-recurse-submodules',
        // a local source's objects are copied, never hard-linked: the chown below would give the
        // source repository's files away too
        '--no-hardlinks',
        '--',
        parsed.clean,
        paths.workspace,
      ],
      {
        cwd,
        timeoutMs: options.timeoutMs ?? CLONE_TIMEOUT_MS,
        doing: `cloning ${shown}`,
        ...(credentials ? { credentials } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
    dropGitLink(paths.workspace);
    const { stdout } = await runHostGit(['rev-parse', '--verify', 'HEAD^{commit}'], {
      gitDir: paths.gitDir,
      cwd: paths.gitDir,
      timeoutMs: 30_000,
      doing: 'reading the cloned HEAD',
    });
    await makeMirror(paths, parsed.clean);
    handToTeamUser(paths.workspace);
    handToTeamUser(paths.gitDir);
    return { url: parsed.clean, branch, head: stdout.trim() };
  } catch (err) {
    removeHalfMade(paths.workspace, workspaceExisted);
    removePath(paths.gitDir);
    removePath(mirrorDirOf(paths));
    throw err;
  }
}

/**
 * The host-only mirror (see mirrorDirOf), filled from the git folder while that is still fresh
 * (no container has seen it yet); later fetches from origin go into the mirror only.
 */
async function makeMirror(paths: TeamRepoPaths, url: string): Promise<void> {
  const mirror = mirrorDirOf(paths);
  checkEmptyTarget(mirror, 'mirror of origin');
  const run = (args: string[], doing: string) =>
    runHostGit(args, { gitDir: mirror, cwd: dirname(mirror), timeoutMs: CLONE_TIMEOUT_MS, doing });
  await runHostGit(['init', '-q', '--bare', '--template=', mirror], {
    cwd: dirname(mirror),
    timeoutMs: 30_000,
    doing: 'making the mirror of origin',
  });
  await run(['config', 'remote.origin.url', url], 'recording origin in the mirror');
  await run(
    ['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'],
    'recording what to fetch',
  );
  await run(
    ['fetch', '-q', '--no-tags', '--', paths.gitDir, '+refs/remotes/origin/*:refs/remotes/origin/*'],
    'filling the mirror from the fresh clone',
  );
}

/**
 * Refuses a target that exists and is not an empty folder (or is a link); true when it exists.
 * Nothing is changed when it refuses.
 */
function checkEmptyTarget(path: string, what: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw err;
  }
  if (!st.isDirectory())
    throw new BerthError(
      'ALREADY_EXISTS',
      `the team's ${what} ${path} exists and is not a folder; remove it first`,
      {
        path,
      },
    );
  const names = listFolder(path);
  if (names.length > 0)
    throw new BerthError(
      'ALREADY_EXISTS',
      `the team's ${what} ${path} exists and is not empty (${names.length} entries); clean the team up first or choose another path`,
      { path, entries: names.length },
    );
  return true;
}

/** The `.git` file --separate-git-dir writes: nothing in the workspace points at the git folder. */
function dropGitLink(workspace: string): void {
  const link = join(workspace, '.git');
  const st = fs.lstatSync(link);
  if (!st.isFile())
    throw new BerthError('GIT_FAILED', `the clone left ${link} as something other than a git link file`);
  fs.unlinkSync(link);
}

function removeHalfMade(workspace: string, existed: boolean): void {
  if (!existed) return removePath(workspace);
  // a folder the caller made stays, emptied again
  for (const name of listFolder(workspace)) removePath(join(workspace, name));
}
