import type { ContainerRuntime, Labels } from '../../runtime/container-runtime.js';
import { NOT_SYNC_STATE, type TeamRepoPaths } from './team-repo-paths.js';
import { withWorkTreeGit } from './work-tree-git.js';

export interface UncommittedWork {
  /** Paths changed, added, deleted or untracked in the work tree (ignored files are not listed). */
  changed: string[];
  /** Commits on a local branch that origin has on none of its branches: `<short id> <subject>`. */
  unpushed: string[];
}

/**
 * What deleting the team's workspace and git folder would lose, for `cleanup --purge` to show
 * first: read in the same kind of locked-down container as a sync (the work tree is hostile).
 */
export async function uncommittedWork(o: {
  runtime: ContainerRuntime;
  paths: TeamRepoPaths;
  branch: string;
  labels: Labels;
  namePrefix?: string;
}): Promise<UncommittedWork> {
  return withWorkTreeGit(
    {
      runtime: o.runtime,
      paths: o.paths,
      labels: o.labels,
      ...(o.namePrefix ? { namePrefix: o.namePrefix } : {}),
    },
    async (git) => {
      const status = await git.check(
        [
          'status',
          '--porcelain=v1',
          '-z',
          '--untracked-files=all',
          '--no-renames',
          '--',
          '.',
          NOT_SYNC_STATE,
        ],
        'reading what changed in the team workspace',
      );
      const log = await git.check(
        ['log', '--format=%h %s', `refs/heads/${o.branch}`, '--branches', '--not', '--remotes=origin'],
        'listing the commits origin does not have',
      );
      return { changed: statusPaths(status), unpushed: log.split('\n').filter((l) => l !== '') };
    },
  );
}

/** The paths of `status --porcelain=v1 -z --no-renames`: each entry is `XY <path>`. */
function statusPaths(out: string): string[] {
  return out
    .split('\0')
    .filter((e) => e.length > 3)
    .map((e) => e.slice(3));
}
