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
        "Writes the session's changes back to the project folder; a full apply ends the session, one with `paths` leaves it open with the rest. A file the user also changed meanwhile is never overwritten: it is reported as a conflict, with the session's version saved beside it. What is deleted or replaced goes to a trash the user can restore from. A session that deletes many files is refused here: the user must apply it with `berth session apply --allow-mass-delete`.",
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
        skipped: z.array(z.object({ path: z.string(), why: z.string() })),
        trash: z.string().nullable(),
        applyId: z.string(),
        remaining: z.array(z.string()),
        folders: z.object({ created: z.array(z.string()), removed: z.array(z.string()) }),
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
          `${report.written.length} written, ${report.deleted.length} deleted, ${report.conflicts.length} conflicts, ${report.refused.length} refused, ${report.skipped.length} skipped`,
          ...report.conflicts.map(
            (c) =>
              `conflict: ${c.path} (${c.why}; the host version was kept${c.sessionCopy ? `, the session version is in ${c.sessionCopy}` : ''})`,
          ),
          ...report.refused.map((r) => `refused: ${r.path} (${r.why})`),
          ...report.skipped.map((r) => `skipped: ${r.path} (${r.why})`),
          ...(report.remaining.length > 0
            ? [`not applied yet (the session stays open): ${report.remaining.join(', ')}`]
            : []),
          ...(report.trash ? [`deleted and replaced files are in the trash of apply ${report.trash}`] : []),
        ];
        return ok(lines.join('\n'), { ...report });
      }),
  );
}
