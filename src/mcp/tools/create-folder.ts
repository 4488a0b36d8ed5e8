import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerCreateFolderTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'create_folder',
    {
      title: 'Create a folder',
      description:
        'Creates a folder of a project and any missing parents (like mkdir -p). A folder that is already there is fine (created: false); a file in the way is an error. Never inside .git.',
      inputSchema: { ...fileTargetFields, path: pathField('Folder to create') },
      outputSchema: {
        path: z.string(),
        created: z.boolean().describe('False when the folder was already there'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    ({ project, session, team, path }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const { created } = target.workspace.createFolder(path);
        if (created) await target.record(`create_folder ${path}`);
        return ok(created ? `created folder ${path}` : `folder ${path} was already there`, { path, created });
      }),
  );
}
