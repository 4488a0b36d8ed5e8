import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { BerthError } from '../../errors.js';
import type { ExecResult } from '../../exec/run-exec.js';
import type { ExecOptions } from '../../hub/projects.js';
import { pathComponents } from '../../workspace/relative-path.js';
import { requireSessions, type McpDeps } from '../deps.js';
import { progressReporter, type ToolExtra } from '../progress.js';
import { pathField, targetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';
import { WorkspacePlacement } from '../../workspace/placement.js';

const DEFAULT_TIMEOUT_MS = 120_000;

export const execResultShape = {
  exit_code: z.number(),
  stdout: z.string(),
  stderr: z.string(),
  timed_out: z.boolean(),
  truncated: z.boolean(),
  duration_ms: z.number(),
  notice: z.string().optional(),
  /** The command was to be stopped (timeout or cancel) but its processes could not be killed. */
  kill_failed: z.boolean().optional(),
};

export function registerRunCommandTool(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'run_command',
    {
      title: 'Run a command',
      description:
        "Runs a shell command (/bin/sh -c) in the project's own container, in the project folder (or cwd), and returns exit code, stdout and stderr. A non-zero exit code is a normal result. The timeout kills the command and everything it started.",
      inputSchema: {
        ...targetFields,
        command: z.string().min(1).describe('Shell command line, e.g. "npm test -- --watch=false"'),
        cwd: pathField('Folder to run in (default: the project root)').optional(),
        timeout_ms: z
          .number()
          .int()
          .min(100)
          .max(3_600_000)
          .optional()
          .describe(`Stop the command after this many milliseconds (default ${DEFAULT_TIMEOUT_MS})`),
        env: z
          .record(z.string(), z.string())
          .optional()
          .describe('Extra environment variables for this command'),
      },
      outputSchema: execResultShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    ({ project, session, command, cwd, timeout_ms, env }, extra: ToolExtra) =>
      guard(deps.logger, async () => {
        const folder = cwd === undefined ? [] : pathComponents(cwd);
        const progress = progressReporter(extra, 'running');
        // sessions and projects place their files alike; each says where
        const placement =
          session !== undefined
            ? requireSessions(deps).placement(session)
            : WorkspacePlacement.forProject(deps.hub.project(project ?? ''));
        const options: ExecOptions = {
          source: 'mcp',
          cwd: placement.containerPath(folder),
          timeoutMs: timeout_ms ?? DEFAULT_TIMEOUT_MS,
          signal: extra.signal,
          onStdout: progress.output,
          onStderr: progress.output,
          ...(env !== undefined ? { env } : {}),
        };
        let result: ExecResult;
        try {
          if ((project === undefined) === (session === undefined)) {
            throw new BerthError(
              'INVALID_ARGUMENT',
              'give either project or session (one of them, not both)',
            );
          }
          result =
            session !== undefined
              ? await requireSessions(deps).exec(session, ['/bin/sh', '-c', command], {
                  ...options,
                  label: `run_command ${JSON.stringify(command)}`,
                })
              : // a stopped or missing project is brought up once, then the command runs
                await deps.hub.exec(project!, ['/bin/sh', '-c', command], {
                  ...options,
                  startIfStopped: true,
                });
        } finally {
          progress.stop();
        }
        return ok(describeRun(result, options.timeoutMs!), structuredRun(result));
      }),
  );
}

export function structuredRun(r: ExecResult) {
  return {
    exit_code: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    timed_out: r.timedOut,
    truncated: r.truncated,
    duration_ms: r.durationMs,
    ...(r.notice !== undefined ? { notice: r.notice } : {}),
    ...(r.killFailed ? { kill_failed: true } : {}),
  };
}

function describeRun(r: ExecResult, timeoutMs: number): string {
  const head = !r.timedOut
    ? `exit code ${r.exitCode} in ${r.durationMs} ms`
    : r.killFailed
      ? `timed out after ${timeoutMs} ms, and its processes could not be killed (the engine did not answer): they may still be running`
      : `timed out after ${timeoutMs} ms; the command and everything it started were stopped (exit code ${r.exitCode})`;
  const parts = [head];
  if (r.notice !== undefined) parts.push(`note: ${r.notice}`);
  if (r.stdout !== '') parts.push(`--- stdout ---\n${r.stdout}`);
  if (r.stderr !== '') parts.push(`--- stderr ---\n${r.stderr}`);
  return parts.join('\n');
}
