import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { requireSessions, type McpDeps } from '../deps.js';
import { guard, ok } from '../tool-result.js';
import { sessionField } from './session-log.js';

export function registerSessionDiscardTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'session_discard',
    {
      title: 'Discard a session',
      description: 'Ends a session without applying anything; its container and sandbox copy are removed.',
      inputSchema: { session: sessionField },
      outputSchema: { session: z.string(), discarded: z.boolean() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ session }) =>
      guard(deps.logger, async () => {
        await requireSessions(deps).discard(session);
        return ok(`discarded ${session}`, { session, discarded: true });
      }),
  );
}
