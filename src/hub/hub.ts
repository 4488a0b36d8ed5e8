import type { HubConfig, ProjectConfig } from '../config/types.js';
import { BerthError } from '../errors.js';
import { runExec, type ExecRequest, type ExecResult } from '../exec/run-exec.js';
import { RunnerChannel } from '../exec/runner/runner-channel.js';
import { removeRunnerDir, runnerDirFor } from '../exec/runner/runner-dir.js';
import { child, type Logger } from '../logger.js';
import type { ContainerRuntime, LogOptions } from '../runtime/container-runtime.js';
import { explicitEngineHost } from '../runtime/docker/engine-discovery.js';
import { hubLabels, LABEL } from '../runtime/labels.js';
import type { ExecRecord, Store } from '../store/store.js';
import { projectStatuses, type ProjectStatus } from './hub-status.js';
import { runTests, type TestReport } from './hub-test.js';
import type { ProjectService } from './project-service.js';
import { upProjects, type UpResult } from './hub-up.js';
import { findProject, selectProjects } from './project-lookup.js';

export interface HubDeps {
  runtime: ContainerRuntime;
  store: Store;
  logger: Logger;
  config: HubConfig;
  /** BERTH_HOME: runner folders live under it. */
  home: string;
  /** Use the in-container runner when it is there (default). false: always the engine's exec. */
  runner?: boolean;
  /** The environment (default process.env): an explicit DOCKER_HOST there must answer. */
  env?: NodeJS.ProcessEnv;
}

export interface HubExecOptions extends Omit<ExecRequest, 'argv'> {
  source?: ExecRecord['source'];
}

export interface DownResult {
  project: string;
  containerId: string;
}

export interface TestOptions {
  timeoutMs?: number;
  onOutput?: (project: string, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** The hub: many projects, each in its own container. CLI, MCP and HTTP all call this. */
export class Hub implements ProjectService {
  private readonly logger: Logger;
  /** project → running container id; dropped when an exec finds the container gone. */
  private readonly containerIds = new Map<string, string>();
  private readonly channels = new Map<string, RunnerChannel>();

  constructor(private readonly deps: HubDeps) {
    this.logger = child(deps.logger, 'hub', { hub: deps.config.hubId });
  }

  get config(): HubConfig {
    return this.deps.config;
  }

  project(name: string): ProjectConfig {
    return findProject(this.deps.config, name);
  }

  async up(names: string[] = [], onProgress?: (project: string, line: string) => void): Promise<UpResult[]> {
    const projects = selectProjects(this.deps.config, names);
    const results = await upProjects(
      { ...this.deps, logger: this.logger, ...(onProgress ? { onProgress } : {}) },
      projects,
    );
    for (const r of results) this.containerIds.set(r.project, r.containerId);
    return results;
  }

  async status(names: string[] = []): Promise<ProjectStatus[]> {
    const projects = selectProjects(this.deps.config, names);
    return projectStatuses(this.deps.runtime, this.deps.config, projects);
  }

  /**
   * Removes the containers (and their networks) of the named projects, or of every project of
   * this hub, including ones no longer in the config. Never touches project files.
   */
  async down(names: string[] = []): Promise<DownResult[]> {
    const { runtime, config } = this.deps;
    const selected = names.length > 0 ? new Set(selectProjects(config, names).map((p) => p.name)) : undefined;
    const containers = await runtime.listContainers(hubLabels(config.hubId, 'project'));
    const removed: DownResult[] = [];
    for (const c of containers) {
      const project = c.labels[LABEL.project] ?? '';
      if (selected && !selected.has(project)) continue;
      await runtime.removeContainer(c.id);
      removeRunnerDir(runnerDirFor(this.deps.home, config.hubId, project));
      this.containerIds.delete(project);
      this.deps.store.removeProject(config.hubId, project);
      removed.push({ project, containerId: c.id.slice(0, 12) });
    }
    const networks = await runtime.listNetworks(hubLabels(config.hubId, 'network'));
    for (const n of networks) {
      if (selected && !selected.has(n.labels[LABEL.project] ?? '')) continue;
      await runtime.removeNetwork(n.id);
    }
    return removed;
  }

  /** Runs argv in the project's container and records it in the history. */
  async exec(name: string, argv: string[], options: HubExecOptions = {}): Promise<ExecResult> {
    const project = this.project(name);
    const startedAt = new Date().toISOString();
    // The container is looked up only if the in-container runner cannot take the command, except
    // under an explicit DOCKER_HOST: that engine must answer and run the project's container
    // before any command runs, even one the runner could take without it.
    const explicit = explicitEngineHost(this.deps.env ?? process.env) !== undefined;
    const attempt = async () => {
      if (explicit) await this.runningContainer(project, { fresh: true });
      return runExec(
        this.deps.runtime,
        () => this.runningContainer(project),
        { ...options, argv },
        this.channel(name),
      );
    };
    let result: ExecResult;
    try {
      result = await attempt();
    } catch (err) {
      if (!(err instanceof BerthError && err.code === 'NOT_RUNNING')) throw err;
      // The cached id may be stale: another berth process can have recreated the container.
      this.containerIds.delete(name);
      try {
        result = await attempt();
      } catch (retryErr) {
        if (retryErr instanceof BerthError && retryErr.code === 'NOT_RUNNING') throw notRunning(name);
        throw retryErr;
      }
    }
    this.deps.store.recordExec({
      hubId: this.deps.config.hubId,
      project: name,
      command: argv,
      source: options.source ?? 'library',
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      startedAt,
      timedOut: result.timedOut,
      truncated: result.truncated,
    });
    this.logger.debug({ project: name, exitCode: result.exitCode, ms: result.durationMs }, 'exec done');
    return result;
  }

  /** Each project's commands.test in its own container, all at once. */
  async test(names: string[] = [], options: TestOptions = {}): Promise<TestReport> {
    return runTests(
      selectProjects(this.deps.config, names),
      (name, argv, o) => this.exec(name, argv, o),
      options,
    );
  }

  async logs(name: string, options: LogOptions): Promise<void> {
    const project = this.project(name);
    const containers = await this.deps.runtime.listContainers(
      hubLabels(this.deps.config.hubId, 'project', project.name),
    );
    const container = containers[0];
    if (!container) throw notRunning(name, 'has no container');
    await this.deps.runtime.logs(container.id, options);
  }

  private channel(project: string): RunnerChannel | undefined {
    if (this.deps.runner === false) return undefined;
    let channel = this.channels.get(project);
    if (!channel) {
      channel = new RunnerChannel(runnerDirFor(this.deps.home, this.deps.config.hubId, project));
      this.channels.set(project, channel);
    }
    return channel;
  }

  /** `fresh`: ask the engine even when the id is cached (the question is whether it answers). */
  private async runningContainer(project: ProjectConfig, { fresh = false } = {}): Promise<string> {
    const cached = this.containerIds.get(project.name);
    if (cached && !fresh) return cached;
    const containers = await this.deps.runtime.listContainers(
      hubLabels(this.deps.config.hubId, 'project', project.name),
    );
    const running = containers.find((c) => c.state === 'running');
    if (!running) throw notRunning(project.name, containers.length === 0 ? 'has no container' : 'is stopped');
    this.containerIds.set(project.name, running.id);
    return running.id;
  }
}

function notRunning(name: string, why = 'is not running'): BerthError {
  return new BerthError('NOT_RUNNING', `project "${name}" ${why}; start it with \`berth up ${name}\``, {
    project: name,
  });
}
