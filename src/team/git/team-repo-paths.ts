import { basename, dirname, join } from 'node:path';
import { chownTreeAt } from '../../workspace/tree-chown.js';

/**
 * Where a team's repository lives: `workspace` is the work tree (bind-mounted into preview
 * containers, so container-writable and hostile after their first start), `gitDir` its git
 * folder, kept outside the workspace and never mounted into a preview or agent container.
 */
export interface TeamRepoPaths {
  gitDir: string;
  workspace: string;
}

/**
 * A pathspec for git in the work tree: a synced work tree's sync state (`.berth-sync`: staging,
 * attic, replica marker) is never the team's work, whoever can read it.
 */
export const NOT_SYNC_STATE = ':(exclude).berth-sync';

/** Preview containers and berth's work-tree git container run as this uid and gid. */
export const TEAM_UID = 1000;
export const TEAM_GID = 1000;

/**
 * Hands a berth-made tree to the team's uid, through fds (no link in it is followed). Only root
 * can give files away; a berth running as uid 1000 already owns them as the containers need.
 */
export function handToTeamUser(path: string): void {
  if (process.getuid?.() !== 0) return;
  chownTreeAt(path, TEAM_UID, TEAM_GID);
}

/**
 * The host-only mirror of origin, beside the git folder: the one repository host git fetches
 * into after the clone. No container ever mounts it writable (the work-tree container sees it
 * read-only), so its config and hooks are berth's alone; the git folder, which that container
 * writes, is never touched by host git again.
 */
export function mirrorDirOf(paths: TeamRepoPaths): string {
  return join(dirname(paths.gitDir), `${basename(paths.gitDir)}-origin.git`);
}
