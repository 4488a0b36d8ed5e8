import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TextRead } from '../../workspace/workspace.js';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { limitsOf, pathField, fileTargetFields } from '../schemas.js';
import { guard } from '../tool-result.js';

/** Most lines one tail asks for. */
export const TAIL_MAX_LINES = 100_000;

export function registerReadFileTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  const { readMaxBytes, readScanMaxBytes } = limitsOf(deps);
  server.registerTool(
    'read_file',
    {
      title: 'Read a file',
      description:
        `Reads a UTF-8 text file of a project. Without offset, limit or tail it returns the whole file, which must be at most ${readMaxBytes} bytes. ` +
        `offset and limit (in lines) read part of a file, looking at most ${readScanMaxBytes} bytes into it; tail reads the last N lines, from the end of a file of any size. ` +
        `A slice or tail returns at most ${readMaxBytes} bytes of text: when more would come it stops at a line boundary and says which offset continues; a single line longer than that is cut, and the result gives the byte where the rest starts. Binary files are refused.`,
      inputSchema: {
        ...fileTargetFields,
        path: pathField('File to read'),
        offset: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('First line to return, counting from 1 (default 1); not with tail'),
        limit: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('How many lines to return (default: to the end); not with tail'),
        tail: z
          .number()
          .int()
          .min(1)
          .max(TAIL_MAX_LINES)
          .optional()
          .describe(`Return the last N lines instead (at most ${TAIL_MAX_LINES}); not with offset or limit`),
      },
      outputSchema: {
        path: z.string(),
        bytes: z.number().describe('Size of the file'),
        lines: z.number().describe('Lines returned'),
        start_line: z
          .number()
          .optional()
          .describe('First line returned (1-based; 0 when none); not for tail'),
        end_line: z.number().optional().describe('Last line returned; not for tail'),
        total_lines: z.number().optional().describe('Lines in the file, when the read reached its end'),
        truncated: z.boolean().describe('The text was cut at the read cap'),
        cut: z
          .enum(['slice', 'line'])
          .optional()
          .describe('slice: stopped between lines; line: cut inside one'),
        next_offset: z.number().optional().describe('For a cut slice: the offset that continues it'),
        rest_byte: z
          .number()
          .optional()
          .describe('For a cut line: the file byte where the part not shown starts (offset) or ends (tail)'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, path, offset, limit, tail }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const read = target.workspace.readText(path, offset, limit, tail);
        return readResult(path, read, readMaxBytes, tail !== undefined);
      }),
  );
}

function readResult(path: string, read: TextRead, max: number, isTail: boolean): CallToolResult {
  const structured: Record<string, unknown> = {
    path,
    bytes: read.bytes,
    lines: read.lines,
    truncated: read.cut !== undefined,
  };
  if (read.startLine !== undefined) structured.start_line = read.startLine;
  if (read.endLine !== undefined) structured.end_line = read.endLine;
  if (read.totalLines !== undefined) structured.total_lines = read.totalLines;
  if (read.cut !== undefined) structured.cut = read.cut;
  if (read.nextOffset !== undefined) structured.next_offset = read.nextOffset;
  if (read.restByte !== undefined) structured.rest_byte = read.restByte;
  const text =
    read.lines === 0 && read.bytes > 0 && !isTail
      ? `(no lines there: "${path}" has ${read.totalLines ?? 'fewer'} lines)`
      : read.content;
  const note = cutNote(path, read, max, isTail);
  const content: CallToolResult['content'] = [{ type: 'text', text }];
  if (note) content.push({ type: 'text', text: `\n${note}` });
  return { content, structuredContent: structured };
}

function cutNote(path: string, read: TextRead, max: number, isTail: boolean): string | undefined {
  const shown = Buffer.byteLength(read.content);
  if (read.cut === 'slice' && isTail)
    return `[only the last ${read.lines} lines fit in the ${max}-byte read cap; read earlier lines with offset and limit]`;
  if (read.cut === 'slice')
    return `[stopped after line ${read.endLine} to stay within the ${max}-byte read cap; continue with offset ${read.nextOffset}]`;
  if (read.cut === 'line' && isTail)
    return `[the last line is longer than the ${max}-byte read cap: only its final ${shown} bytes are shown, from byte ${read.restByte} of the file; the part before them can be read with run_command, e.g. head -c ${read.restByte} ${shellQuote(path)} | tail -c ${max}]`;
  if (read.cut === 'line')
    return `[line ${read.startLine} is longer than the ${max}-byte read cap and was cut after ${shown} bytes; the rest starts at byte ${read.restByte} of the file and can be read with run_command, e.g. tail -c +${read.restByte! + 1} ${shellQuote(path)} | head -c ${max}]`;
  return undefined;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
