import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { limitsOf, pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

/** Most paths one read_multiple_files call takes. */
export const READ_MANY_MAX_PATHS = 50;

export function registerReadMultipleFilesTool(
  server: McpServer,
  deps: McpDeps,
  workspaces: Workspaces,
): void {
  const { readMaxBytes } = limitsOf(deps);
  server.registerTool(
    'read_multiple_files',
    {
      title: 'Read several files',
      description:
        `Reads up to ${READ_MANY_MAX_PATHS} whole UTF-8 text files of a project in one call, in the order given. Each file comes back with its content or its own error; one failure does not fail the rest. ` +
        `Together the contents are at most ${readMaxBytes} bytes: a file that would take the total over that is not read (its error says so; read it with read_file).`,
      inputSchema: {
        ...fileTargetFields,
        paths: z
          .array(pathField('A file to read'))
          .min(1)
          .max(READ_MANY_MAX_PATHS)
          .describe(`Files to read (1 to ${READ_MANY_MAX_PATHS})`),
      },
      outputSchema: {
        files: z.array(
          z.object({
            path: z.string(),
            content: z.string().optional().describe('The whole file, when it was read'),
            bytes: z.number().optional(),
            error: z.string().optional().describe('Why this file was not read'),
          }),
        ),
        total_bytes: z.number().describe('Bytes of content returned, in all'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, paths }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const files = target.workspace.readMany(paths);
        const total = files.reduce((sum, f) => sum + ('bytes' in f ? f.bytes : 0), 0);
        const text = files
          .map((f) =>
            'error' in f ? `=== ${f.path} (not read) ===\n${f.error}` : `=== ${f.path} ===\n${f.content}`,
          )
          .join('\n');
        return ok(text, { files, total_bytes: total });
      }),
  );
}
