import { parseGitUrl } from './git-url.js';
import { runHostGit } from './host-git.js';
import { mirrorDirOf, type TeamRepoPaths } from './team-repo-paths.js';

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
 * `git fetch origin` on the host, into the team's host-only mirror (mirrorDirOf): never into the
 * git folder, which the work-tree container writes, so host git reads no config, hooks or refs a
 * container could have made. The work-tree container then fetches from the mirror, read-only.
 */
export async function fetchTeamRepo(options: FetchTeamRepoOptions): Promise<void> {
  const mirror = mirrorDirOf(options.paths);
  const credentials = options.credentialsUrl ? parseGitUrl(options.credentialsUrl).credentials : undefined;
  await runHostGit(['fetch', '--progress', '--no-recurse-submodules', '--no-tags', '--prune', 'origin'], {
    gitDir: mirror,
    cwd: mirror,
    timeoutMs: options.timeoutMs ?? FETCH_TIMEOUT_MS,
    doing: 'fetching the team repository from origin',
    ...(credentials ? { credentials } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
