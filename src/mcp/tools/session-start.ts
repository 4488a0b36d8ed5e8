import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { requireSessions, type McpDeps } from '../deps.js';
import { projectField } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerSessionStartTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'session_start',
    {
      title: 'Start a sandboxed session',
      description:
        'Copies a project into a locked-down sandbox (no network, not root, limits, gVisor when available). Use the returned session id in place of project with the file tools and run_command; every change becomes a step you can review with session_log and session_diff, then session_apply or session_discard.',
      inputSchema: {
        project: projectField,
        runtime: z
          .enum(['auto', 'runc', 'runsc'])
          .optional()
          .describe('Container runtime (default auto: gVisor when the engine has it)'),
        network: z.enum(['none', 'bridge']).optional().describe('Network of the sandbox (default none)'),
      },
      outputSchema: { session: z.string(), project: z.string(), runtime: z.string(), network: z.string() },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ project, runtime, network }) =>
      guard(deps.logger, async () => {
        const config = deps.hub.project(project);
        const record = await requireSessions(deps).start({
          path: config.path,
          project,
          ...(config.image !== undefined ? { image: config.image } : {}),
          ...(runtime !== undefined ? { runtime } : {}),
          ...(network !== undefined ? { network } : {}),
        });
        return ok(
          `session ${record.id} started for ${project} (${record.runtime}, network ${record.network})`,
          {
            session: record.id,
            project,
            runtime: record.runtime,
            network: record.network,
          },
        );
      }),
  );
}
