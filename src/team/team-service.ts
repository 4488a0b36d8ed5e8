import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, describeError, isBerthError } from '../errors.js';
import type { Logger } from '../logger.js';
import { PortPool } from '../preview/port-pool.js';
import { planPreview, previewImage } from '../preview/preview-spec.js';
import type { VolumeMount } from '../runtime/container-runtime.js';
import type { PreviewApp, PreviewStatus } from '../preview/preview-types.js';
import type { Previews } from '../preview/previews.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { Store } from '../store/store.js';
import type { TeamRecord } from '../store/team-table.js';
import type { SyncService, SyncStatus } from '../sync/sync-service.js';
import { withFolderLock } from '../workspace/folder-lock.js';
import { removePathAsync } from '../workspace/path-ops.js';
import { fillPort } from './detect/index.js';
import { cloneTeamRepo, redactUrl, syncTeamRepo, uncommittedWork, type TeamSyncReport } from './git/index.js';
import { SyncedTeams } from './synced-teams.js';
import { parseTeamConfig, type TeamApp, type TeamConfig } from './team-config.js';
import { teamComposeFile } from './team-compose.js';
import { teamLabels, teamNetworkName, teamSelector, teamsHubId } from './team-labels.js';
import { checkTeamName } from './team-names.js';
import { makeTeamDir, nothingToRun, planTeam, teamFolders, type TeamFolders } from './team-paths.js';
import {
  chooseTeamWorkspace,
  teamSidecar,
  teamWorkspaceVolume,
  type TeamWorkspaceChoice,
} from './team-workspace.js';

export interface TeamServiceDeps {
  runtime: ContainerRuntime;
  store: Store;
  home: string;
  logger: Logger;
  previews: Previews;
  /** PEM bundle passed into preview containers (openTeams gives BERTH_CA_BUNDLE). */
  caBundle?: string;
  /** How many previews of one team start at once (default 2). */
  startConcurrency?: number;
  /** The preview port range, inclusive (default 5000–8999; BERTH_PREVIEW_PORTS in openTeams). */
  portRange?: readonly [number, number];
}

export interface StartOptions {
  url?: string;
  branch?: string;
  /** The work tree's folder instead of BERTH_HOME/teams/<team>/workspace (a new team only). */
  path?: string;
  /** `workspace:` written into a new team's berth.team.yaml (default: left to the engine). */
  workspace?: 'bind' | 'sync';
  onProgress?: (line: string) => void;
}

export interface TeamStartReport {
  team: string;
  created: boolean;
  url: string;
  branch: string;
  workspace: string;
  configFile: string;
  /** Apps detection added to berth.team.yaml in this start. */
  added: string[];
  previews: PreviewStatus[];
  /** Apps that did not come up, with why (the others still run). */
  failed: { app: string; error: string }[];
}

export interface TeamStatus {
  team: string;
  url: string;
  branch: string;
  workspace: string;
  configFile: string;
  createdAt: string;
  startedAt?: string;
  /** How the previews see the work tree, and why. */
  workspaceKind: TeamWorkspaceChoice['kind'];
  workspaceReason: string;
  /** A synced work tree's sync state (as `berth sync status` gives a project's). */
  sync?: TeamSyncState;
  previews: PreviewStatus[];
}

/** The sync side of a synced team's status. */
export interface TeamSyncState {
  state: SyncStatus['state'];
  sidecar: 'running' | 'stopped' | 'missing';
  lastCycleAt: string | null;
  conflicts: { path: string; copy: string }[];
  halt: { reason: string; side: string; detail: string } | null;
  lastError: string | null;
}

export interface CleanupReport {
  team: string;
  containers: number;
  networks: number;
  volumes: number;
  ports: number;
  /** Whether the workspace, git data and config were deleted too. */
  purged: boolean;
}

/** What `cleanup --purge` without `--yes` says would be lost. */
export interface PurgeRefusal {
  changed: string[];
  unpushed: string[];
}

/**
 * Team workspaces: a repository cloned from a git URL, its apps detected and written into
 * berth.team.yaml, one preview container per app on the team's network with a port from the
 * pool. Every resource carries the team's labels (teams-hub of this home + team), so status
 * and cleanup go by label and never by name.
 */
export class TeamService {
  private readonly hubId: string;
  private readonly ports: PortPool;
  private readonly synced: SyncedTeams;

  constructor(private readonly deps: TeamServiceDeps) {
    this.hubId = teamsHubId(deps.home);
    this.synced = new SyncedTeams({
      runtime: deps.runtime,
      store: deps.store,
      logger: deps.logger,
      home: deps.home,
      hubId: this.hubId,
    });
    this.ports = new PortPool({
      store: deps.store,
      home: deps.home,
      ...(deps.portRange ? { range: deps.portRange } : {}),
    });
  }

  list(): TeamRecord[] {
    return this.deps.store.teams().list();
  }

  /** The team's record, or a NOT_FOUND that lists the teams there are. */
  team(name: string): TeamRecord {
    checkTeamName(name);
    const team = this.deps.store.teams().get(name);
    if (!team) {
      const names = this.list().map((t) => t.name);
      throw new BerthError(
        'NOT_FOUND',
        `no team '${name}' in this BERTH_HOME (${names.length ? `teams: ${names.join(', ')}` : 'no teams yet'}); make one with \`berth team start ${name} <git-url>\``,
        { team: name },
      );
    }
    return team;
  }

  /**
   * A new team (clone, detect, write berth.team.yaml, start) or an existing one (read its
   * config, add newly detected apps, start what is not running). A URL for an existing team
   * must be the one it was made from.
   */
  async start(name: string, options: StartOptions = {}): Promise<TeamStartReport> {
    checkTeamName(name);
    return this.locked(name, 'team start', () => this.startLocked(name, options));
  }

  private async startLocked(name: string, options: StartOptions): Promise<TeamStartReport> {
    const say = options.onProgress ?? (() => undefined);
    const table = this.deps.store.teams();
    let record = table.get(name);
    let created = false;
    if (record) {
      if (options.url !== undefined && redactUrl(options.url) !== record.url) {
        throw new BerthError(
          'ALREADY_EXISTS',
          `team '${name}' exists already, made from ${record.url}; start it with \`berth team start ${name}\`, or pick another name (\`berth team cleanup ${name} --purge\` removes it)`,
          { team: name, url: record.url },
        );
      }
      if (options.path !== undefined && options.path !== record.workspace) {
        throw new BerthError(
          'ALREADY_EXISTS',
          `team '${name}' exists already, with its workspace at ${record.workspace}; --path applies to a new team only`,
          { team: name },
        );
      }
    } else {
      if (options.url === undefined) {
        throw new BerthError(
          'NOT_FOUND',
          `no team '${name}' yet: give the repository to clone, \`berth team start ${name} <git-url>\``,
          { team: name },
        );
      }
      record = await this.create(name, options.url, options, say);
      created = true;
    }
    const folders = teamFolders(this.deps.home, name, record.workspace);
    const plan = planTeam(folders, created && options.workspace ? { workspace: options.workspace } : {});
    if (!created && options.workspace !== undefined && options.workspace !== plan.config.workspace) {
      throw new BerthError(
        'ALREADY_EXISTS',
        `team '${name}' exists already; --workspace applies to a new team only: set \`workspace: ${options.workspace}\` in ${folders.configFile}`,
        { team: name },
      );
    }
    if (plan.added.length > 0)
      say(
        `${created ? 'detected' : 'newly detected'}: ${plan.added.join(', ')} (written to ${folders.configFile})`,
      );
    const apps = plan.config.apps.filter((a) => a.enabled);
    if (apps.length === 0) {
      // a new team with nothing to run is not kept: the start changed nothing
      if (created) await this.discard(name, folders);
      throw new BerthError('NO_APP', `team '${name}': ${nothingToRun(plan)}`, {
        team: name,
        configFile: folders.configFile,
        searched: plan.detection.searched,
      });
    }
    const network = await this.ensureNetwork(name, record.workspace);
    const volume = await this.prepareWorkspace(record, plan.config, apps, say);
    const { previews, failed } = await this.startApps(record, plan.config, apps, network, say, volume);
    table.markStarted(name);
    return {
      team: name,
      created,
      url: record.url,
      branch: record.branch,
      workspace: record.workspace,
      configFile: folders.configFile,
      added: plan.added,
      previews,
      failed,
    };
  }

  async status(name: string): Promise<TeamStatus> {
    const team = this.team(name);
    const folders = teamFolders(this.deps.home, name, team.workspace);
    const config = this.configOf(team);
    const choice = await chooseTeamWorkspace(this.deps.runtime, config).catch(
      (err: unknown): TeamWorkspaceChoice => ({ kind: 'bind', reason: describeError(err) }),
    );
    let sync: TeamSyncState | undefined;
    if (choice.kind === 'sync') {
      this.synced.register({ team: name, workspace: team.workspace }, config);
      sync = await this.syncState(name);
    }
    return {
      team: name,
      url: team.url,
      branch: team.branch,
      workspace: team.workspace,
      configFile: folders.configFile,
      createdAt: team.createdAt,
      ...(team.startedAt !== undefined ? { startedAt: team.startedAt } : {}),
      workspaceKind: choice.kind,
      workspaceReason: choice.reason,
      ...(sync ? { sync } : {}),
      previews: await this.deps.previews.status(teamSelector(this.hubId, name)),
    };
  }

  /** Every team's previews (for `preview_list` without a team). */
  async statusAll(): Promise<TeamStatus[]> {
    return Promise.all(this.list().map((t) => this.status(t.name)));
  }

  /**
   * Containers stop; the workspace, volumes, ports and config stay. A synced work tree gets a
   * last sync first (a failure is logged: the volume stays, the next start syncs it).
   */
  async stop(name: string): Promise<PreviewStatus[]> {
    const record = this.team(name);
    // the previews stop first, so nothing writes the volume after its last sync
    await this.deps.previews.stop(teamSelector(this.hubId, name));
    if (await this.synced.running(name)) {
      this.synced.register({ team: name, workspace: record.workspace }, this.configOf(record));
      await this.synced
        .barrier(name)
        .catch((err: unknown) =>
          this.deps.logger.warn(
            { team: name, err: describeError(err) },
            'the last sync before stop failed; the volume keeps its changes until the next start',
          ),
        );
    }
    await this.synced.stopSidecar(name);
    return this.deps.previews.status(teamSelector(this.hubId, name));
  }

  async logs(name: string, app: string, lines: number): Promise<string> {
    this.team(name);
    return this.deps.previews.logs(teamSelector(this.hubId, name), app, lines);
  }

  async restart(name: string, appName: string, onProgress?: (line: string) => void): Promise<PreviewStatus> {
    const record = this.team(name);
    const folders = teamFolders(this.deps.home, name, record.workspace);
    const plan = planTeam(folders);
    const app = plan.config.apps.find((a) => a.name === appName);
    if (!app) {
      throw new BerthError(
        'NOT_FOUND',
        `team '${name}' has no app '${appName}' (apps: ${plan.config.apps.map((a) => a.name).join(', ')})`,
        { team: name, app: appName },
      );
    }
    const network = await this.ensureNetwork(name, record.workspace);
    const say = onProgress ?? (() => undefined);
    const volume = await this.prepareWorkspace(record, plan.config, [app], say);
    const preview = await this.previewApp(record, app, network, plan.config, volume);
    return this.deps.previews.restart(preview, {
      ...(onProgress ? { onProgress } : {}),
      ...(volume ? { deliverHostWrites: () => this.deliver(name) } : {}),
    });
  }

  /** An equivalent docker-compose.yml of the team's enabled apps (ports as allocated). */
  async composeFile(name: string): Promise<string> {
    const record = this.team(name);
    const folders = teamFolders(this.deps.home, name, record.workspace);
    const plan = planTeam(folders);
    const network = teamNetworkName(this.hubId, name);
    const choice = await chooseTeamWorkspace(this.deps.runtime, plan.config);
    const volume =
      choice.kind === 'sync' ? teamWorkspaceVolume(this.hubId, name, record.workspace) : undefined;
    const specs = [];
    for (const app of plan.config.apps.filter((a) => a.enabled)) {
      const preview = await this.previewApp(record, app, network, plan.config, volume);
      specs.push(planPreview(preview, previewImage(preview), { namePrefix: 'berth' }).spec);
    }
    return teamComposeFile(name, specs, [
      `repository ${record.url} (${record.branch}), workspace ${record.workspace}`,
      "berth's hot-reload canary and health checks are not part of Compose; polling is as configured",
      ...(volume
        ? [
            `the workspace is the volume ${volume.name}: berth keeps it in sync with the work tree only while berth runs`,
          ]
        : []),
    ]);
  }

  /** Fetch and merge into the team's branch (local changes committed first). */
  async sync(name: string, onProgress?: (line: string) => void): Promise<TeamSyncReport> {
    const record = this.team(name);
    await this.needsLocalEngine(name, 'team sync');
    return this.locked(name, 'team sync', async () => {
      // a synced work tree: the volume's changes come over first (so git commits them), the
      // merge goes to the volume after; the work tree's lock keeps any other sync out meanwhile
      const synced = await this.synced.running(name);
      if (synced) this.synced.register({ team: name, workspace: record.workspace }, this.configOf(record));
      return withFolderLock(this.deps.home, record.workspace, `team sync of ${name}`, async () => {
        if (synced) {
          onProgress?.("carrying the volume's changes to the work tree");
          await this.synced.barrier(name, onProgress);
        }
        const report = await syncTeamRepo({
          runtime: this.deps.runtime,
          paths: { gitDir: record.gitDir, workspace: record.workspace },
          branch: record.branch,
          labels: teamLabels(this.hubId, name, 'sync', { path: record.workspace }),
          ...(onProgress ? { onProgress } : {}),
        });
        if (synced) {
          onProgress?.('carrying the work tree to the volume');
          await this.synced.barrier(name, onProgress);
        }
        return report;
      });
    });
  }

  /**
   * The teams' sync service, with every team whose side-car runs now registered: what `berth
   * mcp` and `berth ops serve` keep in sync while they run (keepInSync), as for projects.
   */
  async syncService(): Promise<SyncService> {
    for (const record of this.list()) {
      if (await this.synced.running(record.name))
        this.synced.register({ team: record.name, workspace: record.workspace }, this.configOf(record));
    }
    return this.synced.service;
  }

  /** Ends the teams' sync (its agent streams and loops); containers are left as they are. */
  close(): Promise<void> {
    return this.synced.close();
  }

  /**
   * Removes the team's containers, networks and volumes (by label) and releases its ports;
   * with `purge`, also the workspace, the git data, the config and the record, but only with
   * `yes`: without it, nothing is removed and the refusal lists what would be lost.
   */
  async cleanup(
    name: string,
    options: { purge?: boolean; yes?: boolean } = {},
  ): Promise<CleanupReport | { refused: PurgeRefusal }> {
    const record = this.team(name);
    return this.locked(name, 'team cleanup', () => this.cleanupLocked(record, options));
  }

  private async cleanupLocked(
    record: TeamRecord,
    options: { purge?: boolean; yes?: boolean },
  ): Promise<CleanupReport | { refused: PurgeRefusal }> {
    const name = record.name;
    const hasVolume = await this.synced.hasVolume(name, record.workspace);
    const lastSync = async () => {
      await this.synced.restartSidecar({ team: name, workspace: record.workspace }, this.configOf(record));
      await this.synced.barrier(name);
    };
    const selector = teamSelector(this.hubId, name);
    if (options.purge && !options.yes) {
      // what the volume has counts as work too (the previews keep running: nothing is removed)
      if (hasVolume) await lastSync();
      const lost = await this.uncommitted(record);
      return { refused: lost };
    }
    if (hasVolume) {
      // the volume goes: the previews stop, then whatever the volume has that the work tree
      // lacks comes over; a sync that fails or halts stops the cleanup before anything is removed
      await this.deps.previews.stop(selector);
      await lastSync();
    }
    const { runtime } = this.deps;
    const containers = await runtime.containers.list(selector);
    await Promise.all(containers.map((c) => runtime.containers.remove(c.id)));
    const volumes = await runtime.volumes.list(selector);
    for (const v of volumes) await runtime.volumes.remove(v.name);
    const networks = await runtime.networks.list(selector);
    for (const n of networks) await runtime.networks.remove(n.id);
    const ports = this.deps.store
      .previewPorts()
      .list()
      .filter((p) => p.team === name);
    for (const p of ports) this.ports.release({ team: name, app: p.app });
    if (hasVolume) this.synced.forget(name);
    if (options.purge) {
      const folders = teamFolders(this.deps.home, name, record.workspace);
      // the work tree is container-writable: removed through the fd-based walk, never by path
      if (existsSync(record.workspace)) await removePathAsync(record.workspace);
      await removePathAsync(folders.dir);
      this.deps.store.teams().remove(name);
    }
    return {
      team: name,
      containers: containers.length,
      networks: networks.length,
      volumes: volumes.length,
      ports: ports.length,
      purged: options.purge === true,
    };
  }

  /** What a purge would lose: uncommitted changes and commits the remote does not have. */
  async uncommitted(record: TeamRecord): Promise<PurgeRefusal> {
    await this.needsLocalEngine(record.name, 'listing the uncommitted work');
    return uncommittedWork({
      runtime: this.deps.runtime,
      paths: { gitDir: record.gitDir, workspace: record.workspace },
      branch: record.branch,
      labels: teamLabels(this.hubId, record.name, 'sync', { path: record.workspace }),
    });
  }

  private async create(
    name: string,
    url: string,
    options: StartOptions,
    say: (line: string) => void,
  ): Promise<TeamRecord> {
    const folders = teamFolders(this.deps.home, name, options.path);
    const table = this.deps.store.teams();
    const claimed = table.insert({
      name,
      url: redactUrl(url),
      branch: options.branch ?? '',
      workspace: folders.workspace,
      gitDir: folders.gitDir,
    });
    if (!claimed)
      throw new BerthError('ALREADY_EXISTS', `team '${name}' was just made by another berth process`, {
        team: name,
      });
    try {
      makeTeamDir(folders);
      say(`cloning ${redactUrl(url)}${options.branch ? ` (branch ${options.branch})` : ''}`);
      const cloned = await cloneTeamRepo({
        url,
        ...(options.branch !== undefined ? { branch: options.branch } : {}),
        paths: { gitDir: folders.gitDir, workspace: folders.workspace },
        onProgress: say,
      });
      table.remove(name);
      table.insert({
        name,
        url: cloned.url,
        branch: cloned.branch,
        workspace: folders.workspace,
        gitDir: folders.gitDir,
      });
      say(`cloned ${cloned.branch} at ${cloned.head.slice(0, 12)} into ${folders.workspace}`);
      return table.get(name)!;
    } catch (err) {
      table.remove(name);
      // the clone removes what it made; the team's own folder goes too when it holds nothing else
      await removePathAsync(folders.dir).catch(() => undefined);
      throw err;
    }
  }

  /**
   * One team changes in one berth process at a time (start, sync, cleanup): the lock is named by
   * a path under the teams folder that is never made, so every process spells it alike.
   */
  private locked<T>(name: string, what: string, fn: () => Promise<T>): Promise<T> {
    return withFolderLock(this.deps.home, join(this.deps.home, 'teams', `${name}.lock`), what, fn);
  }

  /** Removes a team this start made and could not use (its folders and its record). */
  private async discard(name: string, folders: TeamFolders): Promise<void> {
    if (existsSync(folders.workspace)) await removePathAsync(folders.workspace);
    await removePathAsync(folders.dir).catch(() => undefined);
    this.deps.store.teams().remove(name);
  }

  private async ensureNetwork(team: string, workspace: string): Promise<string> {
    const name = teamNetworkName(this.hubId, team);
    const networks = this.deps.runtime.networks;
    const existing = await networks.list(teamSelector(this.hubId, team));
    if (existing.some((n) => n.name === name)) return name;
    try {
      await networks.create({ name, labels: teamLabels(this.hubId, team, 'network', { path: workspace }) });
    } catch (err) {
      // another start of the same team made it meanwhile
      const again = await networks.list(teamSelector(this.hubId, team));
      if (!again.some((n) => n.name === name)) throw err;
    }
    return name;
  }

  /**
   * A synced team (team-workspace.ts decides): its volume, side-car and first sync, and the
   * volume to mount. A bind team: nothing, but a side-car left from when it was synced gets a
   * last sync (the volume's changes come to the work tree) and stops; the volume stays.
   */
  private async prepareWorkspace(
    record: TeamRecord,
    config: TeamConfig,
    apps: readonly TeamApp[],
    say: (line: string) => void,
  ): Promise<VolumeMount | undefined> {
    const choice = await chooseTeamWorkspace(this.deps.runtime, config);
    const tree = { team: record.name, workspace: record.workspace };
    if (choice.kind === 'sync') {
      say(`workspace: a volume kept in sync with ${record.workspace} (${choice.reason})`);
      // berth's own image of the first app's runtime hands a new volume to uid 1000
      return this.synced.up(tree, config, previewImage({ runtime: apps[0]!.runtime }), say);
    }
    if (await this.synced.running(record.name)) {
      this.synced.register(tree, config);
      say("the workspace is bind-mounted now: a last sync of its volume's changes first");
      await this.synced.barrier(record.name, say);
      await this.synced.stopSidecar(record.name);
    }
    return undefined;
  }

  /**
   * git in the work tree runs in a container that bind-mounts the work tree and the git data
   * (work-tree-git.ts): an engine that cannot see this machine's folders cannot run it.
   */
  private async needsLocalEngine(team: string, what: string): Promise<void> {
    if ((await this.deps.runtime.capabilities()).sharedHostFs) return;
    throw new BerthError(
      'UNSUPPORTED',
      `${what} of team '${team}' runs git in a container that mounts the work tree and its git data, ` +
        'which a remote engine cannot see; run it with an engine on this machine (the volume follows at the next sync)',
      { team },
    );
  }

  /** The hot-reload canary's host write, carried to the volume. */
  private async deliver(team: string): Promise<void> {
    await this.synced.barrier(team);
  }

  /** The team's config as written (no detection, nothing written); defaults when it is unreadable. */
  private configOf(record: TeamRecord): TeamConfig {
    const { configFile } = teamFolders(this.deps.home, record.name, record.workspace);
    try {
      return parseTeamConfig(readFileSync(configFile, 'utf8'), configFile);
    } catch (err) {
      this.deps.logger.debug({ team: record.name, err: describeError(err) }, 'team config unreadable');
      return { version: 1, autodetect: true, apps: [] };
    }
  }

  private async syncState(team: string): Promise<TeamSyncState> {
    const sidecar = await teamSidecar(this.deps.runtime, this.hubId, team);
    const s = this.synced.status(team)!;
    return {
      state: s.state,
      sidecar: sidecar === undefined ? 'missing' : sidecar.state === 'running' ? 'running' : 'stopped',
      lastCycleAt: s.lastCycleAt,
      conflicts: s.conflicts.map((c) => ({ path: c.path, copy: c.copy })),
      halt: s.halt,
      lastError: s.lastError,
    };
  }

  private async previewApp(
    record: TeamRecord,
    app: TeamApp,
    network: string,
    config?: TeamConfig,
    workspaceVolume?: VolumeMount,
  ): Promise<PreviewApp> {
    const owner = { team: record.name, app: app.name };
    const port = app.port ?? (await this.ports.allocate(owner));
    const dev = fillPort(app.dev, port);
    const caBundle = config?.caBundle ?? this.deps.caBundle;
    return {
      team: record.name,
      app: app.name,
      framework: app.framework,
      runtime: app.runtime,
      workspace: record.workspace,
      ...(workspaceVolume ? { workspaceVolume } : {}),
      root: app.root,
      devCommand: dev.command,
      devEnv: { ...dev.env, ...(app.hotReload.polling === 'always' ? app.hotReload.pollingEnv : {}) },
      ...(app.install !== undefined ? { install: app.install } : {}),
      ...(app.installRoot !== undefined ? { installRoot: app.installRoot } : {}),
      ...(app.image !== undefined ? { image: app.image } : {}),
      polling: app.hotReload.polling,
      pollingEnv: app.hotReload.pollingEnv,
      ...(app.hotReload.configFile !== undefined ? { configFile: app.hotReload.configFile } : {}),
      port,
      network,
      labels: teamLabels(this.hubId, record.name, 'preview', { app: app.name, path: record.workspace }),
      // the team's npm cache outlives any one app
      teamLabels: teamLabels(this.hubId, record.name, 'preview', { path: record.workspace }),
      ...(caBundle !== undefined ? { caBundle } : {}),
    };
  }

  private async startApps(
    record: TeamRecord,
    config: TeamConfig,
    apps: TeamApp[],
    network: string,
    say: (line: string) => void,
    workspaceVolume?: VolumeMount,
  ): Promise<{ previews: PreviewStatus[]; failed: { app: string; error: string }[] }> {
    const previews: PreviewStatus[] = [];
    const failed: { app: string; error: string }[] = [];
    const queue = [...apps];
    const worker = async () => {
      for (let app = queue.shift(); app; app = queue.shift()) {
        const current = app;
        try {
          const preview = await this.previewApp(record, current, network, config, workspaceVolume);
          const status = await this.deps.previews.start(preview, {
            onProgress: (line) => say(`${current.name}: ${line}`),
            ...(workspaceVolume ? { deliverHostWrites: () => this.deliver(record.name) } : {}),
          });
          if (status.state !== 'ready') say(`${current.name}: ${status.state} at ${status.url}`);
          previews.push(status);
        } catch (err) {
          if (!isBerthError(err) && !(err instanceof Error)) throw err;
          const error = err instanceof Error ? err.message : String(err);
          say(`${current.name}: did not start: ${error}`);
          failed.push({ app: current.name, error });
        }
      }
    };
    const n = Math.max(1, Math.min(this.deps.startConcurrency ?? 2, apps.length));
    await Promise.all(Array.from({ length: n }, worker));
    previews.sort((a, b) => a.app.localeCompare(b.app));
    return { previews, failed };
  }
}
