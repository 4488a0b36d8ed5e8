import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpDeps } from '../deps.js';
import { guard, ok } from '../tool-result.js';

export function registerListProjectsTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'list_projects',
    {
      title: 'List projects',
      description:
        'Lists the projects of this berth hub: each runs in its own container with its own toolchain. Use the names with the other tools.',
      inputSchema: {},
      outputSchema: {
        projects: z.array(
          z.object({
            name: z.string(),
            state: z.enum(['running', 'stopped', 'missing']),
            health: z.string(),
            image: z.string(),
            test_command: z.string().nullable(),
          }),
        ),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    () =>
      guard(deps.logger, async () => {
        const statuses = await deps.hub.status();
        const projects = statuses.map((s) => ({
          name: s.name,
          state: s.state,
          health: s.health,
          image: s.image,
          test_command: deps.hub.project(s.name).commands.test ?? null,
        }));
        const text = projects
          .map((p) => `${p.name}: ${p.state} (health ${p.health}, image ${p.image})`)
          .join('\n');
        return ok(text || 'no projects', { projects });
      }),
  );
}
