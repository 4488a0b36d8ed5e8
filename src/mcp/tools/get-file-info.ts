import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export function registerGetFileInfoTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'get_file_info',
    {
      title: 'File information',
      description:
        'Describes a file, folder or link of a project without reading it: type, size, permission bits (octal, like "0644"), hard link count, owner, and modified/changed/accessed times (ISO 8601). ' +
        'A link is described, not followed: its target as written, and whether that target stays inside the project (with the path it leads to) or not (with why). Links on the way to the path are followed inside the project only.',
      inputSchema: {
        ...fileTargetFields,
        path: pathField('File, folder or link to describe ("." for the project root)'),
      },
      outputSchema: {
        path: z.string(),
        real_path: z.string().describe('Where it is, with links on the way resolved'),
        type: z.enum(['file', 'folder', 'symlink', 'other']),
        size: z.number(),
        mode: z.string().describe('Permission bits, octal'),
        links: z.number().describe('Hard link count'),
        uid: z.number(),
        gid: z.number(),
        mtime: z.string(),
        ctime: z.string(),
        atime: z.string(),
        link_target: z.string().optional().describe('For a link: its target as written'),
        target_inside: z
          .boolean()
          .optional()
          .describe('For a link: whether its target stays inside the project'),
        target_path: z.string().optional().describe('For a link that stays inside: the path it leads to'),
        target_refused: z.string().optional().describe('For a link that does not: why'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, path }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const { realPath, link, ...info } = target.workspace.info(path);
        const structured: Record<string, unknown> = { path, real_path: realPath, ...info };
        let text = `${path}: ${info.type}, ${info.size} bytes, mode ${info.mode}, modified ${info.mtime}`;
        if (link) {
          structured.link_target = link.target;
          structured.target_inside = link.inside;
          if (link.inside) structured.target_path = link.resolved;
          else structured.target_refused = link.why;
          text += link.inside
            ? `; a link to "${link.target}", inside the project (${link.resolved})`
            : `; a link to "${link.target}", which berth does not follow: ${link.why}`;
        }
        return ok(text, structured);
      }),
  );
}
