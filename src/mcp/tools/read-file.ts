import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { pathField, targetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerReadFileTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'read_file',
    {
      title: 'Read a file',
      description:
        'Reads a UTF-8 text file of a project. Give offset and limit (in lines) to read part of a long file. Binary files and files over the size cap are refused.',
      inputSchema: {
        ...targetFields,
        path: pathField('File to read'),
        offset: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('First line to return, counting from 1 (default 1)'),
        limit: z.number().int().min(1).optional().describe('How many lines to return (default: to the end)'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, path, offset, limit }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session });
        const slice = target.workspace.readText(path, offset, limit);
        if ((offset !== undefined || limit !== undefined) && slice.startLine === 0) {
          return ok(`(no lines there: "${path}" has ${slice.totalLines} lines)`);
        }
        return ok(slice.content);
      }),
  );
}
