import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { NAME_NOTE, nameFields, pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerListFilesTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'list_files',
    {
      title: 'List files',
      description:
        'Lists files and folders under a folder of a project, recursively, with type and size, as paths from the project root. Honours .gitignore unless gitignore is false; .git is never listed. Links are listed, not followed. ' +
        NAME_NOTE,
      inputSchema: {
        ...fileTargetFields,
        path: pathField('Folder to list (default: the project root)').optional(),
        pattern: z
          .string()
          .optional()
          .describe(
            'Glob to filter entries. With a slash it matches the path from the project root, whatever path the listing starts at: "src/*.ts" (files directly in src), "src/**/*.ts" (at any depth below src), "src/**" (src and everything below it). Without a slash it matches the name in any folder: "*.md"',
          ),
        max: z.number().int().min(1).max(10_000).optional().describe('Most entries to return (default 500)'),
        gitignore: z.boolean().optional().describe('Skip what .gitignore excludes (default true)'),
      },
      outputSchema: {
        entries: z.array(
          z.object({
            path: z.string(),
            type: z.enum(['file', 'folder', 'symlink', 'other']),
            size: z.number(),
            escaped: z
              .string()
              .optional()
              .describe('The path with look-alike code points escaped (not NFC, invisible, not UTF-8)'),
            not_utf8: z.boolean().optional().describe('The name is not UTF-8: use run_command for it'),
          }),
        ),
        truncated: z.boolean(),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, path, pattern, max, gitignore }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const { entries, truncated } = target.workspace.list(path ?? '', {
          max: max ?? 500,
          gitignore: gitignore ?? true,
          ...(pattern !== undefined ? { pattern } : {}),
        });
        const lines = entries.map((e) => {
          const shown =
            e.type === 'file'
              ? `${e.escaped ?? e.path} (${e.size} bytes)`
              : `${e.escaped ?? e.path} [${e.type}]`;
          return e.notUtf8
            ? `${shown} [name not UTF-8]`
            : e.escaped !== undefined
              ? `${shown} [name not NFC or has invisible characters; shown escaped]`
              : shown;
        });
        if (truncated)
          lines.push(`[stopped at ${entries.length} entries; narrow with path or pattern, or raise max]`);
        const structured = entries.map((e) => ({
          path: e.path,
          type: e.type,
          size: e.size,
          ...nameFields(e),
        }));
        return ok(lines.join('\n') || '(nothing here)', { entries: structured, truncated });
      }),
  );
}
