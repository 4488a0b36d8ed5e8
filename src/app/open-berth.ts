import { join } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import type { HubConfig } from '../config/types.js';
import { Hub } from '../hub/hub.js';
import type { ProjectService } from '../hub/projects.js';
import type { UnitRole } from '../hub/unit-role.js';
import { createLogger, type Logger } from '../logger.js';
import { OpsClient } from '../ops/client/ops-client.js';
import { RemoteProjects } from '../ops/client/remote-projects.js';
import { opsEndpoint } from '../ops/ops-endpoint.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { DockerRuntime } from '../runtime/docker/docker-runtime.js';
import type { EngineStrategy } from '../runtime/docker/engine-discovery.js';
import type { Sessions } from '../sessions/sessions.js';
import { berthHome, Store } from '../store/store.js';
import type { SyncService } from '../sync/sync-service.js';
import type { TeamService } from '../team/team-service.js';
import { syncRole } from './sync-role.js';

export interface OpenBerthOptions {
  /** The hub's config when it is already loaded; else it is read from `file` in `cwd`. */
  config?: HubConfig;
  file?: string;
  /** Where to look for berth.yaml (default: the current folder). */
  cwd?: string;
  /** BERTH_HOME (default: from `env`, else ~/.berth). */
  home?: string;
  /** The environment (default process.env): BERTH_HOME, BERTH_IMAGE, DOCKER_HOST, BERTH_OPS_*. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** A store that is already open (it is then not closed with this berth). */
  store?: Store;
  /** false: no in-container agent; every command is an engine exec (for comparisons). */
  agent?: boolean;
  /** Where to look for the engine (default: DOCKER_HOST, the usual sockets). */
  engine?: EngineStrategy[];
  /** Split mode: commands go through the side-car at this URL; this process needs no engine. */
  opsUrl?: string;
  /**
   * The roles of a project's unit beyond its project container (default: none). A new role
   * (preview, agent, lsp, sync) is one UnitRole from its own folder, listed here.
   */
  roles?: UnitRole[];
}

/** One berth: everything wired once, for one CLI command, a server, a test or the bench. */
export interface Berth extends AsyncDisposable {
  config: HubConfig;
  /** BERTH_HOME */
  home: string;
  logger: Logger;
  store: Store;
  runtime: ContainerRuntime;
  /** The hub over the engine in this process. */
  hub: Hub;
  /** What entry points use: `hub`, or the side-car's view of it in split mode (`opsUrl`). */
  projects: ProjectService;
  /** The sandboxed sessions of this home, made once and recovered on first use (split mode: none). */
  sessions(): Promise<Sessions>;
  /** Two-way sync of the projects with `workspace: sync` (loaded on first use). */
  sync(): Promise<SyncService>;
  /** The team workspaces of this home (loaded on first use). */
  teams(): Promise<TeamService>;
  /** A hub over another config, with the same store and runtime. */
  hubFor(config: HubConfig): Hub;
  close(): Promise<void>;
}

/**
 * The composition root: reads the config once and wires the runtime (with its agent folders
 * under BERTH_HOME/run), the store, the logger, the hub and the sessions. The only code above
 * `runtime/` that names the Docker runtime.
 */
export function openBerth(options: OpenBerthOptions = {}): Berth {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger();
  const home = options.home ?? berthHome(env);
  const config =
    options.config ??
    loadConfig({
      cwd: options.cwd ?? process.cwd(),
      ...(options.file !== undefined ? { file: options.file } : {}),
      ...(env.BERTH_IMAGE ? { defaultImage: env.BERTH_IMAGE } : {}),
    });
  const store = options.store ?? Store.open(home);
  const runtime = openRuntime({
    logger,
    env,
    home,
    ...(options.agent === false ? { agent: false } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
  });
  let sync: Promise<SyncService> | undefined;
  const openSync = () =>
    (sync ??= (async () => {
      const { SyncService } = await import('../sync/sync-service.js');
      return new SyncService({
        runtime,
        table: store.sync(),
        logger,
        home,
        hubId: config.hubId,
        projects: config.projects,
      });
    })());
  // a project with `workspace: sync` gets its sync side-car (and its first sync in up)
  const roles = [...(options.roles ?? []).filter((r) => r.role !== 'sync'), syncRole(runtime, openSync)];
  const hubFor = (c: HubConfig) => new Hub({ runtime, store, logger, config: c, roles });
  const hub = hubFor(config);
  const projects =
    options.opsUrl === undefined
      ? hub
      : new RemoteProjects(config, new OpsClient(opsEndpoint(home, config, env, options.opsUrl)));
  let sessions: Promise<Sessions> | undefined;
  let teams: Promise<TeamService> | undefined;
  const close = async () => {
    if (sync) await (await sync).close();
    if (teams) await (await teams).close();
    runtime.close();
    if (!options.store) store.close();
  };
  return {
    config,
    home,
    logger,
    store,
    runtime,
    hub,
    projects,
    hubFor,
    sessions: () =>
      (sessions ??= (async () => {
        // loaded only by the commands that use them
        const { Sessions } = await import('../sessions/sessions.js');
        const opened = new Sessions({ runtime, table: store.sessions(), logger, home });
        // what a killed berth process left half-done is finished or undone first
        await opened.recover();
        return opened;
      })()),
    sync: openSync,
    teams: () =>
      (teams ??= (async () => {
        const { openTeams } = await import('./open-teams.js');
        return openTeams({ home, env, logger, store, runtime }).teams;
      })()),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The container runtime of this machine's engine (the only place above `runtime/` that names
 * the Docker runtime): its in-container agent folders live under BERTH_HOME/run.
 */
export function openRuntime(options: {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  home: string;
  agent?: boolean;
  engine?: EngineStrategy[];
}): ContainerRuntime {
  return new DockerRuntime(options.logger, {
    env: options.env,
    ...(options.agent === false ? {} : { agentRoot: join(options.home, 'run') }),
    ...(options.engine ? { strategies: options.engine } : {}),
  });
}
