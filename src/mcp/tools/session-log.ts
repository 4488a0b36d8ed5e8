import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { requireSessions, type McpDeps } from '../deps.js';
import { guard, ok } from '../tool-result.js';

export const sessionField = z.string().min(1).describe('Session id from session_start');

export function registerSessionLogTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'session_log',
    {
      title: 'Session steps',
      description:
        'Lists the steps of a session: step 0 is the baseline, then one per tool call that changed something.',
      inputSchema: { session: sessionField },
      outputSchema: {
        steps: z.array(
          z.object({ step: z.number(), commit: z.string(), at: z.string(), message: z.string() }),
        ),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ session }) =>
      guard(deps.logger, async () => {
        const steps = await requireSessions(deps).log(session);
        return ok(steps.map((s) => `${s.step}  ${s.message}`).join('\n'), { steps });
      }),
  );
}
