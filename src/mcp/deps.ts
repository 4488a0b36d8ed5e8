import type { ProjectService } from '../hub/project-service.js';
import type { Logger } from '../logger.js';
import { Workspace, type WorkspaceLimits } from '../workspace/workspace.js';

/** What the MCP server needs; it knows nothing about transports. */
export interface McpDeps {
  /** The hub itself, or the side-car's view of it in split mode. */
  hub: ProjectService;
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
      workspace = new Workspace(path, this.deps.limits);
      this.cache.set(project, workspace);
    }
    return workspace;
  }
}
