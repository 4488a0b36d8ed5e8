import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { limitsOf, pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';
import { syncLine, syncOutcomeSchema } from './sync-outcome.js';

export function registerEditFileTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  const { editMaxEdits, editDeadlineMs, diffDeadlineMs, readMaxBytes, writeMaxBytes } = limitsOf(deps);
  server.registerTool(
    'edit_file',
    {
      title: 'Edit a file',
      description:
        'Replaces exact text in a file, edit by edit in order, and returns a unified diff. If any old_text is missing, or matches more than once without replace_all, nothing is written. ' +
        'In a file whose lines all end in CRLF (or all in LF), old_text and new_text are taken with its line endings: "\n" in them matches and writes the file\'s own. ' +
        `Limits: at most ${editMaxEdits} edits per call; files up to ${readMaxBytes} bytes, results up to ${writeMaxBytes} bytes; the edits must finish within ${editDeadlineMs} ms (or nothing is written), and a diff that takes over ${diffDeadlineMs} ms is replaced by a one-line summary (diff_complete: false).`,
      inputSchema: {
        ...fileTargetFields,
        path: pathField('File to edit'),
        edits: z
          .array(
            z.object({
              old_text: z.string().describe('Exact text to find, whitespace included'),
              new_text: z.string().describe('Text to put in its place'),
              replace_all: z
                .boolean()
                .optional()
                .describe('Replace every occurrence instead of requiring exactly one'),
            }),
          )
          .min(1)
          .describe(
            `Edits applied in order, each to the result of the previous one (at most ${editMaxEdits})`,
          ),
        dry_run: z.boolean().optional().describe('Only return the diff; do not write (default false)'),
      },
      outputSchema: {
        path: z.string(),
        diff: z.string(),
        diff_complete: z.boolean().describe('False when the diff took too long and is only a summary'),
        applied: z.number(),
        dry_run: z.boolean(),
        sync: syncOutcomeSchema,
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ project, session, team, path, edits, dry_run }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const dryRun = dry_run ?? false;
        const { diff, diffComplete } = await target.workspace.edit(
          path,
          edits.map((e) => ({
            oldText: e.old_text,
            newText: e.new_text,
            replaceAll: e.replace_all ?? false,
          })),
          dryRun,
        );
        const sync = dryRun ? undefined : await target.record(`edit_file ${path}`);
        return ok(dryRun ? `dry run, nothing written:\n${diff}` : `${diff}${syncLine(sync)}`, {
          ...(sync ? { sync } : {}),
          path,
          diff,
          diff_complete: diffComplete,
          applied: edits.length,
          dry_run: dryRun,
        });
      }),
  );
}
