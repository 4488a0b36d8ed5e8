import { BerthError } from '../../errors.js';
import { redactUrl } from './git-url.js';
import { runHostGit, type HostGitOptions } from './host-git.js';

/** Reaching the remote is asked first, on its own, so an unreachable URL fails in bounded time. */
export const LS_REMOTE_TIMEOUT_MS = 30_000;

export interface RemoteBranches {
  /** Branch names, sorted. */
  branches: string[];
  /** The branch the remote's HEAD points at, when it says. */
  defaultBranch?: string;
}

/** The branches of the remote at `url` (`git ls-remote`), or GIT_FAILED saying why it is not reachable. */
export async function remoteBranches(
  url: string,
  options: Pick<HostGitOptions, 'cwd' | 'credentials' | 'signal'> & { timeoutMs?: number },
): Promise<RemoteBranches> {
  const shown = redactUrl(url);
  let stdout: string;
  try {
    ({ stdout } = await runHostGit(['ls-remote', '--symref', '--', url, 'HEAD', 'refs/heads/*'], {
      ...options,
      timeoutMs: options.timeoutMs ?? LS_REMOTE_TIMEOUT_MS,
      doing: `reaching ${shown}`,
    }));
  } catch (err) {
    if (err instanceof BerthError && err.code === 'GIT_FAILED')
      throw new BerthError(
        'GIT_FAILED',
        `${err.message.replace(/^reaching \S+: /, `the git repository ${shown} cannot be reached: `)}; check the URL, the network and your credentials`,
        { ...err.details, url: shown },
      );
    throw err;
  }
  const branches: string[] = [];
  let defaultBranch: string | undefined;
  for (const line of stdout.split('\n')) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (symref) defaultBranch = symref[1];
    const head = /^[0-9a-f]{40,64}\trefs\/heads\/(.+)$/.exec(line);
    if (head) branches.push(head[1]!);
  }
  branches.sort();
  return defaultBranch !== undefined ? { branches, defaultBranch } : { branches };
}
