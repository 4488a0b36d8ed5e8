import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerMovePathTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'move_path',
    {
      title: 'Move or rename',
      description:
        'Moves or renames a file or folder within a project, creating parent folders of the destination. It never overwrites: an existing destination is an error.',
      inputSchema: {
        ...fileTargetFields,
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
    ({ project, session, team, from, to }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        target.workspace.move(from, to);
        await target.record(`move_path ${from} -> ${to}`);
        return ok(`moved ${from} to ${to}`, { from, to });
      }),
  );
}
