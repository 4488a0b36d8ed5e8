import { BerthError } from '../errors.js';
import type { Logger } from '../logger.js';
import { prepareVolumes } from '../preview/volume-owner.js';
import type { ContainerRuntime, VolumeMount } from '../runtime/container-runtime.js';
import type { Store } from '../store/store.js';
import type { CycleReport } from '../sync/sync-pair.js';
import { describeCycle } from '../sync/sync-report.js';
import { SyncService, type SyncedWorkspace, type SyncStatus } from '../sync/sync-service.js';
import type { TeamConfig } from './team-config.js';
import { TEAM_UID } from './git/team-repo-paths.js';
import { startTeamSidecar, teamSidecar, teamSyncedWorkspace, teamWorkspaceVolume } from './team-workspace.js';

export interface SyncedTeamsDeps {
  runtime: ContainerRuntime;
  store: Store;
  logger: Logger;
  home: string;
  /** The teams hub of this home (teamsHubId): the sync table keys a team's pair by it. */
  hubId: string;
}

/** A team's work tree as this needs it. */
export interface TeamTree {
  team: string;
  workspace: string;
}

/**
 * The synced work trees of a home's teams, through berth's one sync service: each is a
 * SyncedWorkspace (host folder ↔ the team's volume, through the team's side-car), registered
 * here when a start, status or server finds the team synced. The service's pairs live in the
 * store under the teams hub id, so a team and a project of the same name never share one.
 */
export class SyncedTeams {
  readonly service: SyncService;
  private readonly registered = new Map<string, SyncedWorkspace>();

  constructor(private readonly deps: SyncedTeamsDeps) {
    const registered = this.registered;
    this.service = new SyncService({
      runtime: deps.runtime,
      table: deps.store.sync(),
      logger: deps.logger,
      home: deps.home,
      hubId: deps.hubId,
      get projects() {
        return [...registered.values()];
      },
    });
  }

  register(tree: TeamTree, config: Pick<TeamConfig, 'syncIgnore'>): void {
    this.registered.set(tree.team, teamSyncedWorkspace(tree.team, tree.workspace, this.deps.hubId, config));
  }

  isRegistered(team: string): boolean {
    return this.registered.has(team);
  }

  /**
   * The volume the previews mount, with the side-car running on it and the first sync done
   * (progress on `say`): the volume then holds the work tree, and the work tree whatever the
   * volume had (a first sync deletes nothing; differences become conflicts). A new volume is
   * handed to the previews' uid first (by a one-shot container of `image`).
   */
  async up(
    tree: TeamTree,
    config: Pick<TeamConfig, 'syncIgnore'>,
    image: string,
    say: (line: string) => void,
  ): Promise<VolumeMount> {
    const { runtime, hubId } = this.deps;
    this.register(tree, config);
    const volume = teamWorkspaceVolume(hubId, tree.team, tree.workspace);
    const made = await prepareVolumes(runtime, [volume], {
      image,
      uid: TEAM_UID,
      namePrefix: `berth-team-${hubId}`,
      labels: volume.labels,
    });
    if (made.length > 0) say(`made the workspace volume ${volume.name}`);
    await startTeamSidecar(runtime, { hubId, team: tree.team, workspace: tree.workspace, onProgress: say });
    say('first sync of the work tree and its volume');
    await this.barrier(tree.team, say);
    return volume;
  }

  /** Cycles until what changed before the call has crossed; a halt is an error that says where to look. */
  async barrier(team: string, say?: (line: string) => void): Promise<CycleReport> {
    const report = await this.service.barrier(team, say ? { onProgress: say } : {});
    say?.(describeCycle('sync', report));
    if (report.halt) {
      throw new BerthError(
        'SYNC_HALTED',
        `the sync of team ${team}'s work tree halted: ${report.halt.detail}; nothing more is carried until that is fixed`,
        { team },
      );
    }
    return report;
  }

  /** Whether the team's side-car runs (then a barrier can run). */
  async running(team: string): Promise<boolean> {
    return (await teamSidecar(this.deps.runtime, this.deps.hubId, team))?.state === 'running';
  }

  /** Whether the team has a side-car at all (running or not). */
  async hasSidecar(team: string): Promise<boolean> {
    return (await teamSidecar(this.deps.runtime, this.deps.hubId, team)) !== undefined;
  }

  /** Whether the team's workspace volume exists (cleanup syncs it one last time before it goes). */
  async hasVolume(team: string, workspace: string): Promise<boolean> {
    const volume = teamWorkspaceVolume(this.deps.hubId, team, workspace);
    return (await this.deps.runtime.volumes.list(volume.labels)).some((v) => v.name === volume.name);
  }

  /** Starts the team's existing side-car again (for a last sync before cleanup). */
  async restartSidecar(tree: TeamTree, config: Pick<TeamConfig, 'syncIgnore'>): Promise<void> {
    this.register(tree, config);
    await startTeamSidecar(this.deps.runtime, {
      hubId: this.deps.hubId,
      team: tree.team,
      workspace: tree.workspace,
    });
  }

  /** Stops the side-car (the volume stays). */
  async stopSidecar(team: string): Promise<void> {
    const sidecar = await teamSidecar(this.deps.runtime, this.deps.hubId, team);
    if (sidecar?.state === 'running') await this.deps.runtime.containers.stop(sidecar.id, 10);
  }

  status(team: string): SyncStatus | undefined {
    return this.registered.has(team) ? this.service.status(team) : undefined;
  }

  /** The team's volume is gone: its pair's ancestor, conflicts and cycles go too. */
  forget(team: string): void {
    this.registered.delete(team);
    this.deps.store.sync().forget(this.deps.hubId, team);
  }

  close(): Promise<void> {
    return this.service.close();
  }
}
