import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { requireSessions, type McpDeps } from '../deps.js';
import { guard, ok } from '../tool-result.js';
import { sessionField } from './session-log.js';

export function registerSessionDiffTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'session_diff',
    {
      title: 'Session diff',
      description:
        'Shows everything the session changed since its baseline, as a unified diff (or a per-file summary).',
      inputSchema: {
        session: sessionField,
        stat: z.boolean().optional().describe('Only a summary per file (default false)'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ session, stat }) =>
      guard(deps.logger, async () =>
        ok((await requireSessions(deps).diff(session, stat ?? false)) || '(no changes)'),
      ),
  );
}
