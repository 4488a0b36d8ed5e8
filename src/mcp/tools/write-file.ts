import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';
import { syncLine, syncOutcomeSchema } from './sync-outcome.js';

export function registerWriteFileTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'write_file',
    {
      title: 'Write a file',
      description:
        'Creates or replaces a text file of a project, creating parent folders. The write is atomic (temp file and rename), and the project container sees it at once (a synced project: the tool returns once the container has it, or says it is pending).',
      inputSchema: {
        ...fileTargetFields,
        path: pathField('File to write'),
        content: z.string().describe('The complete new content of the file (UTF-8)'),
      },
      outputSchema: { path: z.string(), bytes: z.number(), created: z.boolean(), sync: syncOutcomeSchema },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, path, content }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const { bytes, created } = target.workspace.writeText(path, content);
        const sync = await target.record(`write_file ${path}`);
        return ok(`${created ? 'created' : 'replaced'} ${path} (${bytes} bytes)${syncLine(sync)}`, {
          path,
          bytes,
          created,
          ...(sync ? { sync } : {}),
        });
      }),
  );
}
