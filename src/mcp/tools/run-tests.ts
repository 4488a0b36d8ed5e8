import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ProjectTestResult } from '../../hub/projects.js';
import type { McpDeps } from '../deps.js';
import { progressReporter, type ToolExtra } from '../progress.js';
import { projectField } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

const TAIL_LINES = 40;

export function registerRunTestsTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'run_tests',
    {
      title: 'Run tests',
      description:
        "Runs each project's configured test command in its own container, all at once, and returns a per-project table and an overall verdict, with the end of the output of projects that failed.",
      inputSchema: {
        projects: z.array(projectField).optional().describe('Projects to test (default: all)'),
      },
      outputSchema: {
        ok: z.boolean(),
        results: z.array(
          z.object({
            project: z.string(),
            status: z.enum(['passed', 'failed', 'timed-out', 'skipped', 'error']),
            command: z.string().nullable(),
            exit_code: z.number().nullable(),
            duration_ms: z.number(),
            output_tail: z.string(),
            message: z.string().optional(),
          }),
        ),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    ({ projects }, extra: ToolExtra) =>
      guard(deps.logger, async () => {
        const names = projects ?? [];
        const progress = progressReporter(extra, 'testing');
        try {
          await deps.hub.up(names);
          const report = await deps.hub.test(names, { onOutput: (_p, _s, chunk) => progress.output(chunk) });
          const results = report.results.map(toRow);
          return ok(renderReport(report.ok, report.results), { ok: report.ok, results });
        } finally {
          progress.stop();
        }
      }),
  );
}

function toRow(r: ProjectTestResult) {
  return {
    project: r.project,
    status: r.status,
    command: r.command,
    exit_code: r.exitCode,
    duration_ms: r.durationMs,
    output_tail: tail(`${r.stdout}${r.stderr}`),
    ...(r.message !== undefined ? { message: r.message } : {}),
  };
}

function renderReport(passed: boolean, results: ProjectTestResult[]): string {
  const lines = results.map(
    (r) =>
      `| ${r.project} | ${r.status}${r.message ? ` (${r.message})` : ''} | ${r.exitCode ?? '-'} | ${r.durationMs} ms |`,
  );
  const table = ['| project | result | exit code | duration |', '| --- | --- | --- | --- |', ...lines].join(
    '\n',
  );
  const failures = results
    .filter((r) => r.status === 'failed' || r.status === 'timed-out')
    .map((r) => `\n--- ${r.project}: last lines ---\n${tail(`${r.stdout}${r.stderr}`)}`);
  return `${table}\n\n${passed ? 'PASSED: every project passed' : 'FAILED: not every project passed'}${failures.join('')}`;
}

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-TAIL_LINES).join('\n');
}
