import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpDeps, Workspaces } from '../deps.js';
import { pathField, projectField } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerMovePathTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'move_path',
    {
      title: 'Move or rename',
      description:
        'Moves or renames a file or folder within a project, creating parent folders of the destination. It never overwrites: an existing destination is an error.',
      inputSchema: {
        project: projectField,
        from: pathField('What to move'),
        to: pathField('Its new path'),
      },
      outputSchema: { from: z.string(), to: z.string() },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ project, from, to }) =>
      guard(deps.logger, () => {
        workspaces.get(project).move(from, to);
        return ok(`moved ${from} to ${to}`, { from, to });
      }),
  );
}
