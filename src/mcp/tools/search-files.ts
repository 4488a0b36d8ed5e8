import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerSearchFilesTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'search_files',
    {
      title: 'Search files',
      description:
        'Finds lines containing text (or matching a JavaScript regular expression) in the text files of a project, honouring .gitignore. Results are "path:line: text".',
      inputSchema: {
        ...fileTargetFields,
        query: z
          .string()
          .min(1)
          .describe('Text to find (exact, case-sensitive), or a regular expression with regex: true'),
        regex: z
          .boolean()
          .optional()
          .describe('Treat query as a JavaScript regular expression (default false)'),
        glob: z
          .string()
          .optional()
          .describe(
            'Only search files matching this glob. With a slash it matches the path from the project root: "src/*.ts" (directly in src), "src/**/*.ts" (at any depth below src), "src/**" (everything below src). Without a slash it matches the file name in any folder: "*.py"',
          ),
        max_results: z
          .number()
          .int()
          .min(1)
          .max(5000)
          .optional()
          .describe('Most matching lines to return (default 200)'),
      },
      outputSchema: {
        matches: z.array(z.object({ path: z.string(), line: z.number(), text: z.string() })),
        truncated: z.boolean(),
        files_searched: z.number(),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, query, regex, glob, max_results }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const result = await target.workspace.search({
          query,
          regex: regex ?? false,
          maxResults: max_results ?? 200,
          gitignore: true,
          ...(glob !== undefined ? { glob } : {}),
        });
        const lines = result.matches.map((m) => `${m.path}:${m.line}: ${m.text}`);
        if (result.truncated)
          lines.push('[more matches not shown; narrow the query or glob, or raise max_results]');
        const text = lines.join('\n') || `no matches in ${result.filesSearched} files`;
        return ok(text, {
          matches: result.matches,
          truncated: result.truncated,
          files_searched: result.filesSearched,
        });
      }),
  );
}
