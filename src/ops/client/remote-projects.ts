import type { HubConfig, ProjectConfig } from '../../config/types.js';
import { WorkspacePlacement } from '../../workspace/placement.js';
import { OutputCapture } from '../../exec/output-capture.js';
import { DEFAULT_OUTPUT_CAP, StreamCap } from '../../exec/stream-cap.js';
import { validateArgv, type ExecResult } from '../../exec/run-exec.js';
import type {
  ExecOptions,
  ProjectService,
  ProjectStatus,
  TestOptions,
  TestReport,
  UpResult,
} from '../../hub/projects.js';
import { runTests } from '../../hub/test-run.js';
import { findProject, selectProjects } from '../../hub/project-lookup.js';
import type { OpsClient } from './ops-client.js';

/**
 * The projects of a hub, reached through the ops side-car: for a process that holds no engine
 * socket (the MCP server in split mode). Files are still read and written through the bind
 * mounts; only commands, tests and status go over the side-car's API.
 */
export class RemoteProjects implements ProjectService {
  constructor(
    private readonly config: HubConfig,
    private readonly client: OpsClient,
  ) {}

  project(name: string): ProjectConfig {
    return findProject(this.config, name);
  }

  async status(names: string[] = []): Promise<ProjectStatus[]> {
    const wanted = new Set(selectProjects(this.config, names).map((p) => p.name));
    const { projects } = await this.client.getJson<{ projects: ProjectStatus[] }>('/projects');
    return projects.filter((p) => wanted.has(p.name));
  }

  /** The side-car brings a project up when a command first needs it: nothing is done here. */
  async up(names: string[] = []): Promise<UpResult[]> {
    selectProjects(this.config, names);
    return [];
  }

  /** The side-car starts a stopped project itself (`startIfStopped` is always so here). */
  async exec(name: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const project = this.project(name);
    validateArgv(argv);
    // the side-car cuts each stream at the cap and marks the cut; the capture keeps that marker
    // and bounds memory only against an answer that ignores the cap
    const keep = StreamCap.forwardedBytes(options.outputCap ?? DEFAULT_OUTPUT_CAP);
    const stdout = new OutputCapture(keep);
    const stderr = new OutputCapture(keep);
    const cwd = relativeCwd(WorkspacePlacement.forProject(project), options.cwd);
    const outcome = await this.client.run(
      {
        target: `project:${name}`,
        command: argv,
        ...(cwd !== undefined ? { cwd } : {}),
        ...(options.env !== undefined ? { env: options.env } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.outputCap !== undefined ? { maxOutputBytes: options.outputCap } : {}),
      },
      {
        onStdout: (c) => {
          stdout.push(c);
          options.onStdout?.(c);
        },
        onStderr: (c) => {
          stderr.push(c);
          options.onStderr?.(c);
        },
      },
      options.signal,
    );
    return {
      exitCode: outcome.code,
      stdout: stdout.text(),
      stderr: stderr.text(),
      timedOut: outcome.timedOut,
      truncated: outcome.truncated || stdout.truncated || stderr.truncated,
      durationMs: outcome.durationMs,
    };
  }

  test(names: string[] = [], options: TestOptions = {}): Promise<TestReport> {
    return runTests(selectProjects(this.config, names), (n, argv, o) => this.exec(n, argv, o), options);
  }
}

/**
 * The side-car takes cwd relative to the project root; callers here speak container paths. One
 * elsewhere is passed on as given, and the side-car refuses it.
 */
function relativeCwd(placement: WorkspacePlacement, cwd: string | undefined): string | undefined {
  if (cwd === undefined) return undefined;
  const inside = placement.fromContainerPath(cwd);
  if (inside === undefined) return cwd;
  return inside.length === 0 ? undefined : inside.join('/');
}
