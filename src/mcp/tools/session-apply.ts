import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { requireSessions, type McpDeps } from '../deps.js';
import { guard, ok } from '../tool-result.js';
import { sessionField } from './session-log.js';

export function registerSessionApplyTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'session_apply',
    {
      title: 'Apply a session',
      description:
        "Writes the session's changes back to the project folder and ends the session. A file the user also changed meanwhile is never overwritten: it is reported as a conflict, with the session's version saved beside it.",
      inputSchema: {
        session: sessionField,
        paths: z.array(z.string()).optional().describe('Only these files or folders (default: everything)'),
      },
      outputSchema: {
        written: z.array(z.string()),
        deleted: z.array(z.string()),
        conflicts: z.array(
          z.object({ path: z.string(), sessionCopy: z.string().nullable(), why: z.string() }),
        ),
        refused: z.array(z.object({ path: z.string(), why: z.string() })),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ session, paths }) =>
      guard(deps.logger, async () => {
        const report = await requireSessions(deps).apply(session, paths ?? []);
        const lines = [
          `${report.written.length} written, ${report.deleted.length} deleted, ${report.conflicts.length} conflicts, ${report.refused.length} refused`,
          ...report.conflicts.map(
            (c) =>
              `conflict: ${c.path} (${c.why}; the host version was kept${c.sessionCopy ? `, the session version is in ${c.sessionCopy}` : ''})`,
          ),
          ...report.refused.map((r) => `refused: ${r.path} (${r.why})`),
        ];
        return ok(lines.join('\n'), { ...report });
      }),
  );
}
