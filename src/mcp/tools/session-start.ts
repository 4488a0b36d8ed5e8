import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { requireSessions, type McpDeps } from '../deps.js';
import { projectField } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

/**
 * The agent runs inside the sandbox it starts here, so it gets no say over the sandbox's
 * network: the schema takes no `network` (nor any other unknown field), and a call that passes
 * one is refused before anything starts. A person can still give one with
 * `berth session start --network`.
 */
const inputSchema = z.strictObject(
  {
    project: projectField,
    runtime: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,40}$/)
      .optional()
      .describe(
        'Isolation: auto (default: the strongest the engine has, gVisor when it is there), standard, strong, or a runtime name the engine offers (e.g. runc)',
      ),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.includes('network')
          ? 'session_start takes no network: a session always starts without one (only a person can start one with a network, with `berth session start --network`)'
          : `session_start does not take ${issue.keys.map((k) => `"${k}"`).join(', ')}; give project and optionally runtime`
        : undefined,
  },
);

export function registerSessionStartTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'session_start',
    {
      title: 'Start a sandboxed session',
      description:
        'Copies a project into a locked-down sandbox (no network, not root, limits, gVisor when available). Use the returned session id in place of project with the file tools and run_command; every change becomes a step you can review with session_log and session_diff, then session_apply or session_discard.',
      inputSchema,
      outputSchema: { session: z.string(), project: z.string(), runtime: z.string(), network: z.string() },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ project, runtime }) =>
      guard(deps.logger, async () => {
        const config = deps.hub.project(project);
        const record = await requireSessions(deps).start({
          path: config.path,
          project,
          ...(config.image !== undefined ? { image: config.image } : {}),
          ...(runtime !== undefined ? { runtime } : {}),
          network: 'none',
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
