import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpDeps, Workspaces } from '../deps.js';
import { pathField, projectField } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerWriteFileTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'write_file',
    {
      title: 'Write a file',
      description:
        'Creates or replaces a text file of a project, creating parent folders. The write is atomic (temp file and rename), and the project container sees it at once.',
      inputSchema: {
        project: projectField,
        path: pathField('File to write'),
        content: z.string().describe('The complete new content of the file (UTF-8)'),
      },
      outputSchema: { path: z.string(), bytes: z.number(), created: z.boolean() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, path, content }) =>
      guard(deps.logger, () => {
        const { bytes, created } = workspaces.get(project).writeText(path, content);
        return ok(`${created ? 'created' : 'replaced'} ${path} (${bytes} bytes)`, { path, bytes, created });
      }),
  );
}
