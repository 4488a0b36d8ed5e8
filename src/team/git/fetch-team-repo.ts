import { parseGitUrl } from './git-url.js';
import { runHostGit } from './host-git.js';
import { handToTeamUser, type TeamRepoPaths } from './team-repo-paths.js';

export const FETCH_TIMEOUT_MS = 10 * 60_000;

export interface FetchTeamRepoOptions {
  paths: TeamRepoPaths;
  /**
   * The remote's URL with credentials in it, for a remote the user's own helpers cannot log in
   * to: its secret is used for this fetch (through GIT_ASKPASS) and stored nowhere.
   */
  credentialsUrl?: string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * `git fetch origin` on the host, into the team's git folder only: no work tree is involved (git
 * is given the git folder and nothing else, and runs in it). New objects and refs are handed back
 * to uid 1000 after, for the work-tree container.
 */
export async function fetchTeamRepo(options: FetchTeamRepoOptions): Promise<void> {
  const { gitDir } = options.paths;
  const credentials = options.credentialsUrl ? parseGitUrl(options.credentialsUrl).credentials : undefined;
  try {
    await runHostGit(['fetch', '--progress', '--no-recurse-submodules', '--prune', 'origin'], {
      gitDir,
      cwd: gitDir,
      timeoutMs: options.timeoutMs ?? FETCH_TIMEOUT_MS,
      doing: 'fetching the team repository from origin',
      ...(credentials ? { credentials } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    handToTeamUser(gitDir);
  }
}
