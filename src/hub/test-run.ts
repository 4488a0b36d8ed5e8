import type { ProjectConfig } from '../config/types.js';
import { describeError } from '../errors.js';
import type { ExecResult } from '../exec/run-exec.js';
import type { ExecOptions, ProjectTestResult, TestOptions, TestReport, TestStatus } from './projects.js';

export function testResultFrom(
  project: ProjectConfig,
  command: string,
  result: ExecResult,
): ProjectTestResult {
  const status: TestStatus = result.timedOut ? 'timed-out' : result.exitCode === 0 ? 'passed' : 'failed';
  return {
    project: project.name,
    status,
    command,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    timedOut: result.timedOut,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

export function skippedResult(project: ProjectConfig): ProjectTestResult {
  return {
    project: project.name,
    status: 'skipped',
    command: null,
    exitCode: null,
    durationMs: 0,
    timedOut: false,
    stdout: '',
    stderr: '',
    message: 'no commands.test in the config',
  };
}

export function errorResult(project: ProjectConfig, command: string, message: string): ProjectTestResult {
  return {
    project: project.name,
    status: 'error',
    command,
    exitCode: null,
    durationMs: 0,
    timedOut: false,
    stdout: '',
    stderr: '',
    message,
  };
}

/** Passed when nothing failed, timed out or errored, and at least one project ran. */
export function verdict(results: ProjectTestResult[]): boolean {
  const ran = results.filter((r) => r.status !== 'skipped');
  return ran.length > 0 && ran.every((r) => r.status === 'passed');
}

/** Each project's commands.test through `exec`, all at once; shared by Hub and RemoteProjects. */
export async function runTests(
  projects: ProjectConfig[],
  exec: (project: string, argv: string[], options: ExecOptions) => Promise<ExecResult>,
  options: TestOptions = {},
): Promise<TestReport> {
  const results = await Promise.all(
    projects.map(async (project): Promise<ProjectTestResult> => {
      const command = project.commands.test;
      if (command === undefined) return skippedResult(project);
      try {
        const result = await exec(project.name, ['/bin/sh', '-c', command], {
          source: 'test',
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          onStdout: (chunk) => options.onOutput?.(project.name, 'stdout', chunk),
          onStderr: (chunk) => options.onOutput?.(project.name, 'stderr', chunk),
        });
        return testResultFrom(project, command, result);
      } catch (err) {
        return errorResult(project, command, describeError(err));
      }
    }),
  );
  return { ok: verdict(results), results };
}
