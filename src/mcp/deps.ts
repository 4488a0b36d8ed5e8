import type { ProjectService } from '../hub/projects.js';
import type { Sessions } from '../sessions/sessions.js';
import type { SyncService } from '../sync/sync-service.js';
import type { TeamService } from '../team/team-service.js';
import { BerthError } from '../errors.js';
import type { Logger } from '../logger.js';
import { WorkspacePlacement } from '../workspace/placement.js';
import { Workspace, type WorkspaceLimits } from '../workspace/workspace.js';

/** What the MCP server needs; it knows nothing about transports. */
export interface McpDeps {
  /** The hub itself, or the side-car's view of it in split mode. */
  hub: ProjectService;
  /** Sandboxed sessions; without them the session tools say they are unavailable. */
  sessions?: Sessions;
  logger: Logger;
  limits?: WorkspaceLimits;
  /** Two-way sync; without it the sync tools say they are unavailable. */
  sync?: SyncService;
  /** Team workspaces; without them the team field and the preview tools say they are unavailable. */
  teams?: TeamService;
  /** How long a write to a synced project waits for the container to have it (default 10 s). */
  syncWaitMs?: number;
}

/** Whether a write to a synced project reached its container before the tool answered. */
export interface SyncOutcome {
  state: 'synced' | 'pending';
  detail?: string;
}

/** One Workspace per project, resolved by name through the hub (unknown names throw). */
export class Workspaces {
  private readonly cache = new Map<string, Workspace>();

  constructor(private readonly deps: McpDeps) {}

  get(project: string): Workspace {
    let workspace = this.cache.get(project);
    if (!workspace) {
      const { path } = this.deps.hub.project(project);
      workspace = new Workspace(WorkspacePlacement.forProject({ path }), this.deps.limits);
      this.cache.set(project, workspace);
    }
    return workspace;
  }

  /** A team's workspace folder (teams are looked up by the caller). */
  forFolder(path: string): Workspace {
    const key = `folder:${path}`;
    let workspace = this.cache.get(key);
    if (!workspace) {
      workspace = new Workspace(WorkspacePlacement.forProject({ path }), this.deps.limits);
      this.cache.set(key, workspace);
    }
    return workspace;
  }
}

/** Where a file tool works: a project, or a session's sandbox (where changes become steps). */
export interface ToolTarget {
  workspace: Workspace;
  /**
   * Records a change: a session step, or for a synced project a sync of it to the container
   * (the outcome says whether it got there in time); a no-op for other projects.
   */
  record(label: string): Promise<SyncOutcome | undefined>;
}

export function toolTarget(
  deps: McpDeps,
  workspaces: Workspaces,
  args: { project?: string | undefined; session?: string | undefined; team?: string | undefined },
): ToolTarget {
  const given = [args.project, args.session, args.team].filter((a) => a !== undefined).length;
  if (given !== 1) {
    throw new BerthError('INVALID_ARGUMENT', 'give one of project, session or team (exactly one of them)');
  }
  if (args.team !== undefined) {
    const { workspace } = requireTeams(deps).team(args.team);
    return {
      workspace: workspaces.forFolder(workspace),
      record: async () => undefined,
    };
  }
  if (args.project !== undefined) {
    const project = args.project;
    return {
      workspace: workspaces.get(project),
      record: async () =>
        deps.sync?.isSynced(project) ? syncAfterWrite(deps, deps.sync, project) : undefined,
    };
  }
  const sessions = requireSessions(deps);
  const id = args.session!;
  return {
    workspace: new Workspace(sessions.runningPlacement(id), deps.limits),
    record: async (label) => {
      await sessions.commitStep(id, label);
      return undefined;
    },
  };
}

export function requireSessions(deps: McpDeps): Sessions {
  if (!deps.sessions) {
    throw new BerthError(
      'UNSUPPORTED',
      'sessions are not available in this server (split mode has no engine here)',
    );
  }
  return deps.sessions;
}

/** Runs a sync barrier for a write; past the wait the write is reported pending (it still goes). */
async function syncAfterWrite(deps: McpDeps, sync: SyncService, project: string): Promise<SyncOutcome> {
  const waitMs = deps.syncWaitMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<SyncOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({ state: 'pending', detail: `not in the container after ${waitMs / 1000} s; sync goes on` }),
      waitMs,
    );
  });
  const cycle = sync.barrier(project).then(
    (r): SyncOutcome =>
      r.halt
        ? { state: 'pending', detail: `sync is halted (${r.halt.reason}): ${r.halt.detail}` }
        : r.retry.length > 0
          ? { state: 'pending', detail: 'the file changed again meanwhile; the next cycle carries it' }
          : { state: 'synced' },
    (err: unknown): SyncOutcome => ({
      state: 'pending',
      detail: `sync failed: ${err instanceof Error ? err.message : String(err)}`,
    }),
  );
  try {
    return await Promise.race([cycle, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function requireTeams(deps: McpDeps): TeamService {
  if (!deps.teams) {
    throw new BerthError('UNSUPPORTED', 'team workspaces are not available in this server');
  }
  return deps.teams;
}

export function requireSync(deps: McpDeps): SyncService {
  if (!deps.sync) {
    throw new BerthError(
      'UNSUPPORTED',
      'sync is not available in this server (split mode has no engine here)',
    );
  }
  return deps.sync;
}
