import type { HubConfig, ProjectConfig } from '../config/types.js';
import { BerthError, isBerthError } from '../errors.js';
import { runExec, type ExecResult } from '../exec/run-exec.js';
import { startIfStopped } from '../exec/start-if-stopped.js';
import { child, type Logger } from '../logger.js';
import type { ContainerRuntime, LogOptions } from '../runtime/container-runtime.js';
import { hubContainerLabels, hubLabels, isContainerRole, LABEL } from '../runtime/labels.js';
import type { Store } from '../store/store.js';
import { containerName } from './container-spec.js';
import { projectStatuses } from './hub-status.js';
import { upProjects } from './hub-up.js';
import { MemberIds } from './member-ids.js';
import { findProject, selectProjects } from './project-lookup.js';
import { projectRole } from './project-role.js';
import type {
  DownOptions,
  DownResult,
  ExecOptions,
  ProjectService,
  ProjectStatus,
  TestOptions,
  TestReport,
  UpResult,
} from './projects.js';
import { runTests } from './test-run.js';
import type { UnitRole } from './unit-role.js';

export interface HubDeps {
  runtime: ContainerRuntime;
  store: Store;
  logger: Logger;
  config: HubConfig;
  /**
   * The roles of a project's unit beyond its `project` container (preview, agent, lsp, sync):
   * each brings its own spec and wait strategy; up, status and down go over them all.
   */
  roles?: UnitRole[];
}

/**
 * The hub: many projects, each a unit of containers by role (by default only its `project`
 * container, where commands run). CLI, MCP and HTTP all call this.
 */
export class Hub implements ProjectService {
  private readonly logger: Logger;
  /** The unit's roles, `project` first. */
  private readonly roles: UnitRole[];
  /** (project, role) → running container id; dropped when an exec finds the container gone. */
  private readonly containerIds = new MemberIds();

  constructor(private readonly deps: HubDeps) {
    this.logger = child(deps.logger, 'hub', { hub: deps.config.hubId });
    this.roles = [projectRole, ...(deps.roles ?? []).filter((r) => r.role !== 'project')];
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
      { ...this.deps, roles: this.roles, logger: this.logger, ...(onProgress ? { onProgress } : {}) },
      projects,
    );
    for (const r of results) {
      this.containerIds.delete(r.project);
      for (const m of r.members) this.containerIds.set(r.project, m.role, m.containerId);
    }
    return results;
  }

  async status(names: string[] = []): Promise<ProjectStatus[]> {
    const projects = selectProjects(this.deps.config, names);
    return projectStatuses(this.deps.runtime, this.deps.config, this.roles, projects);
  }

  /**
   * Removes every member container (of every role) and the networks of the named projects, or of
   * every project of this hub, including ones no longer in the config; their named volumes too
   * when asked. Never touches project files.
   */
  async down(names: string[] = [], options: DownOptions = {}): Promise<DownResult[]> {
    const { runtime, config } = this.deps;
    const selected = names.length > 0 ? new Set(selectProjects(config, names).map((p) => p.name)) : undefined;
    const mine = (labels: Record<string, string>) => !selected || selected.has(labels[LABEL.project] ?? '');
    const containers = await runtime.containers.list(hubContainerLabels(config.hubId));
    const removed: DownResult[] = [];
    const projects = new Set<string>();
    for (const c of containers) {
      const role = c.labels[LABEL.role];
      if (!isContainerRole(role) || !mine(c.labels)) continue;
      const project = c.labels[LABEL.project] ?? '';
      await runtime.containers.remove(c.id);
      projects.add(project);
      removed.push({ project, containerId: c.id.slice(0, 12), role });
    }
    for (const project of projects) {
      this.containerIds.delete(project);
      this.deps.store.removeProject(config.hubId, project);
    }
    const networks = await runtime.networks.list(hubLabels(config.hubId, 'network'));
    for (const n of networks) if (mine(n.labels)) await runtime.networks.remove(n.id);
    if (options.volumes) {
      const volumes = await runtime.volumes.list(hubLabels(config.hubId, 'volume'));
      for (const v of volumes) if (mine(v.labels)) await runtime.volumes.remove(v.name);
    }
    // the project container first, as `down` always listed it
    return removed.sort((a, b) => Number(b.role === 'project') - Number(a.role === 'project'));
  }

  /** Runs argv in the project's container and records it in the history. */
  async exec(name: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const project = this.project(name);
    const startedAt = new Date().toISOString();
    const { startIfStopped: bringUp, source, ...request } = options;
    // The container is looked up only if the runtime's fast path cannot take the command.
    const target = {
      name: containerName(this.deps.config.hubId, name),
      id: () => this.runningContainer(project),
    };
    let result: ExecResult;
    try {
      result = await startIfStopped(
        () => runExec(this.deps.runtime, target, { ...request, argv }),
        async () => {
          // The cached id may be stale: another berth process can have recreated the container.
          this.containerIds.delete(name, 'project');
          if (bringUp) await this.up([name]);
        },
      );
    } catch (err) {
      if (isBerthError(err, 'NOT_RUNNING')) throw notRunning(name);
      throw err;
    }
    this.deps.store.recordExec({
      hubId: this.deps.config.hubId,
      project: name,
      command: argv,
      source: source ?? 'library',
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
    const containers = await this.deps.runtime.containers.list(
      hubLabels(this.deps.config.hubId, 'project', project.name),
    );
    const container = containers[0];
    if (!container) throw notRunning(name, 'has no container');
    await this.deps.runtime.containers.logs(container.id, options);
  }

  private async runningContainer(project: ProjectConfig): Promise<string> {
    const cached = this.containerIds.get(project.name, 'project');
    if (cached) return cached;
    const containers = await this.deps.runtime.containers.list(
      hubLabels(this.deps.config.hubId, 'project', project.name),
    );
    const running = containers.find((c) => c.state === 'running');
    if (!running) throw notRunning(project.name, containers.length === 0 ? 'has no container' : 'is stopped');
    this.containerIds.set(project.name, 'project', running.id);
    return running.id;
  }
}

function notRunning(name: string, why = 'is not running'): BerthError {
  return new BerthError('NOT_RUNNING', `project "${name}" ${why}; start it with \`berth up ${name}\``, {
    project: name,
  });
}
