import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpDeps, Workspaces } from '../deps.js';
import { pathField, projectField } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerDeletePathTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'delete_path',
    {
      title: 'Delete a file or folder',
      description:
        'Deletes a file, a link (not what it points to) or a whole folder of a project. The project root itself cannot be deleted.',
      inputSchema: { project: projectField, path: pathField('File or folder to delete') },
      outputSchema: { path: z.string(), kind: z.enum(['file', 'folder', 'symlink', 'other']) },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, path }) =>
      guard(deps.logger, () => {
        const { kind } = workspaces.get(project).remove(path);
        return ok(`deleted ${kind} ${path}`, { path, kind });
      }),
  );
}
