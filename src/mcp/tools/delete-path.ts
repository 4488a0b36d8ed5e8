import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerDeletePathTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'delete_path',
    {
      title: 'Delete a file or folder',
      description:
        'Deletes a file, a link (not what it points to) or a whole folder of a project. The project root itself cannot be deleted.',
      inputSchema: { ...fileTargetFields, path: pathField('File or folder to delete') },
      outputSchema: { path: z.string(), kind: z.enum(['file', 'folder', 'symlink', 'other']) },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, path }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const { kind } = target.workspace.remove(path);
        await target.record(`delete_path ${path}`);
        return ok(`deleted ${kind} ${path}`, { path, kind });
      }),
  );
}
