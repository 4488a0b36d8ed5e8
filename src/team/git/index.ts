// The team's git: clone on the host, fetch on the host into the git folder only, and everything
// that touches the (container-writable) work tree in a locked-down container.
export { checkGitUrl, parseGitUrl, redactUrl, ALLOWED_TRANSPORTS, type ParsedGitUrl } from './git-url.js';
export { cloneTeamRepo, type CloneTeamRepoOptions, type ClonedTeamRepo } from './clone-team-repo.js';
export { fetchTeamRepo, type FetchTeamRepoOptions } from './fetch-team-repo.js';
export { syncTeamRepo, type SyncTeamRepoOptions, type TeamSyncReport } from './sync-team-repo.js';
export { uncommittedWork, type UncommittedWork } from './uncommitted-work.js';
export { TEAM_GID, TEAM_UID, type TeamRepoPaths } from './team-repo-paths.js';
export { WORK_TREE_GIT_IMAGE } from './work-tree-git.js';
