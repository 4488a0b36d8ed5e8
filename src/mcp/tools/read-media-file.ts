import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { limitsOf, pathField, fileTargetFields } from '../schemas.js';
import { guard } from '../tool-result.js';

export function registerReadMediaFileTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  const { mediaMaxBytes } = limitsOf(deps);
  server.registerTool(
    'read_media_file',
    {
      title: 'Read an image or audio file',
      description:
        `Returns an image (PNG, JPEG, GIF, WebP) as image content or an audio file (WAV, MP3, Ogg, FLAC) as audio content, base64 with its MIME type, for files up to ${mediaMaxBytes} bytes. ` +
        "The type is judged from the file's first bytes, not its name. SVG is refused (it can carry scripts; read it as text with read_file), as is anything else.",
      inputSchema: { ...fileTargetFields, path: pathField('Image or audio file') },
      outputSchema: {
        path: z.string(),
        kind: z.enum(['image', 'audio']),
        mime_type: z.string(),
        bytes: z.number(),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, path }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const { type, data, misnamed } = target.workspace.readMedia(path);
        const base64 = data.toString('base64');
        const media =
          type.kind === 'image'
            ? { type: 'image' as const, data: base64, mimeType: type.mimeType }
            : { type: 'audio' as const, data: base64, mimeType: type.mimeType };
        const note = misnamed ? ` (its name says otherwise; its bytes are ${type.mimeType})` : '';
        return {
          content: [media, { type: 'text', text: `${path}: ${type.mimeType}, ${data.length} bytes${note}` }],
          structuredContent: { path, kind: type.kind, mime_type: type.mimeType, bytes: data.length },
        };
      }),
  );
}
