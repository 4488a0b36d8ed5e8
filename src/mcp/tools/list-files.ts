import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { pathField, targetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerListFilesTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'list_files',
    {
      title: 'List files',
      description:
        'Lists files and folders under a folder of a project, recursively, with type and size. Honours .gitignore unless gitignore is false; .git is never listed. Links are listed, not followed.',
      inputSchema: {
        ...targetFields,
        path: pathField('Folder to list (default: the project root)').optional(),
        pattern: z
          .string()
          .optional()
          .describe('Glob to filter paths, e.g. "**/*.ts" or "*.md" (matches the name anywhere)'),
        max: z.number().int().min(1).max(10_000).optional().describe('Most entries to return (default 500)'),
        gitignore: z.boolean().optional().describe('Skip what .gitignore excludes (default true)'),
      },
      outputSchema: {
        entries: z.array(
          z.object({
            path: z.string(),
            type: z.enum(['file', 'folder', 'symlink', 'other']),
            size: z.number(),
          }),
        ),
        truncated: z.boolean(),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, path, pattern, max, gitignore }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session });
        const { entries, truncated } = target.workspace.list(path ?? '', {
          max: max ?? 500,
          gitignore: gitignore ?? true,
          ...(pattern !== undefined ? { pattern } : {}),
        });
        const lines = entries.map((e) =>
          e.type === 'file' ? `${e.path} (${e.size} bytes)` : `${e.path} [${e.type}]`,
        );
        if (truncated)
          lines.push(`[stopped at ${entries.length} entries; narrow with path or pattern, or raise max]`);
        return ok(lines.join('\n') || '(nothing here)', { entries, truncated });
      }),
  );
}
