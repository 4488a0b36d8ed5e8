import type { ProjectService } from '../hub/projects.js';
import type { Sessions } from '../sessions/sessions.js';
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
}

/** Where a file tool works: a project, or a session's sandbox (where changes become steps). */
export interface ToolTarget {
  workspace: Workspace;
  /** Records a change as a session step; a no-op for projects. */
  record(label: string): Promise<void>;
}

export function toolTarget(
  deps: McpDeps,
  workspaces: Workspaces,
  args: { project?: string | undefined; session?: string | undefined },
): ToolTarget {
  if ((args.project === undefined) === (args.session === undefined)) {
    throw new BerthError('INVALID_ARGUMENT', 'give either project or session (one of them, not both)');
  }
  if (args.project !== undefined)
    return { workspace: workspaces.get(args.project), record: async () => undefined };
  const sessions = requireSessions(deps);
  const id = args.session!;
  return {
    workspace: new Workspace(sessions.runningPlacement(id), deps.limits),
    record: async (label) => {
      await sessions.commitStep(id, label);
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
