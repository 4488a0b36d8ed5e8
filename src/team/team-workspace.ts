import { DEFAULT_SYNC } from '../config/types.js';
import { BerthError } from '../errors.js';
import { containerProbes } from '../exec/wait/container-probes.js';
import { waitUntilReady } from '../exec/wait/wait-strategy.js';
import type { ContainerInfo, ContainerRuntime, Labels, VolumeMount } from '../runtime/container-runtime.js';
import { LABEL } from '../runtime/labels.js';
import { ensureSidecar, findSidecar, sidecarReady } from '../sync/sidecar.js';
import type { SyncedWorkspace } from '../sync/sync-service.js';
import { WorkspacePlacement } from '../workspace/placement.js';
import type { TeamConfig } from './team-config.js';
import { teamLabels } from './team-labels.js';

/**
 * How a team's previews see its work tree: `bind` (the host folder mounted) or `sync` (a named
 * volume of the team's, kept in two-way sync with the host folder by berth's sync service,
 * through a sync side-car on the volume, as a project with `workspace: sync` is).
 */
export type TeamWorkspaceKind = 'bind' | 'sync';

export interface TeamWorkspaceChoice {
  kind: TeamWorkspaceKind;
  /** Why: the config said so, or what the engine can do. */
  reason: string;
}

/** Beside the sync defaults (.git): the dependency volume's mount point, never synced. */
export const TEAM_SYNC_IGNORE = [...DEFAULT_SYNC.ignore, 'node_modules/'];

/** What marks a team's sync side-car (the team's work-tree git container is role `sync` too). */
const MEMBER = 'berth.member';
const SIDECAR_MEMBER = 'sync-agent';
const WORKSPACE_MEMBER = 'workspace';
/** How long a new side-car may take to say it is ready (it only starts node). */
const SIDECAR_READY_MS = 30_000;

/** The config's `workspace`, else sync when the engine cannot bind-mount this machine's folders. */
export async function chooseTeamWorkspace(
  runtime: ContainerRuntime,
  config: Pick<TeamConfig, 'workspace'>,
): Promise<TeamWorkspaceChoice> {
  const { sharedHostFs } = await runtime.capabilities();
  if (config.workspace === 'bind' && !sharedHostFs) {
    throw new BerthError(
      'UNSUPPORTED',
      "the engine is a remote engine: a bind mount would mount a folder of that machine, not this one's work tree; set `workspace: sync` in berth.team.yaml (or leave it out)",
    );
  }
  if (config.workspace !== undefined)
    return { kind: config.workspace, reason: `workspace: ${config.workspace} in berth.team.yaml` };
  return sharedHostFs
    ? { kind: 'bind', reason: "the engine sees this machine's folders" }
    : { kind: 'sync', reason: "the engine cannot bind-mount this machine's folders (a remote engine)" };
}

/** The team's workspace volume, at the previews' workspace root; labelled for the team (cleanup removes it). */
export function teamWorkspaceVolume(hubId: string, team: string, workspace: string): VolumeMount {
  return {
    name: `berth-team-${team}-${hubId}-workspace`,
    target: WorkspacePlacement.bind('/').containerRoot,
    labels: { ...teamLabels(hubId, team, 'volume', { path: workspace }), [MEMBER]: WORKSPACE_MEMBER },
  };
}

export function teamSidecarName(hubId: string, team: string): string {
  return `berth-team-${team}-${hubId}-sync`;
}

/** Finds the team's side-car (and only it) among the team's containers. */
export function teamSidecarSelector(hubId: string, team: string): Labels {
  return {
    [LABEL.hub]: hubId,
    [LABEL.team]: team,
    [LABEL.role]: 'sync',
    [MEMBER]: SIDECAR_MEMBER,
  };
}

/** The team's work tree as the sync service sees it: the host folder, its volume's side-car, the rules. */
export function teamSyncedWorkspace(
  team: string,
  workspace: string,
  hubId: string,
  config: Pick<TeamConfig, 'syncIgnore'>,
): SyncedWorkspace {
  return {
    name: team,
    path: workspace,
    workspace: 'sync',
    // files in the volume belong to the work tree's owner (uid 1000, as the previews run)
    sync: { ...DEFAULT_SYNC, ignore: [...TEAM_SYNC_IGNORE, ...(config.syncIgnore ?? [])] },
    // and what sync makes in the work tree too (the work-tree git container runs as that uid)
    ownHostFiles: true,
    sidecarLabels: teamSidecarSelector(hubId, team),
    startHint: `berth team start ${team}`,
  };
}

/**
 * The team's sync side-car, running and ready: berth's agent image on the team's workspace
 * volume (made on first use, labelled for the team). A running one is kept, a stopped one
 * started, one on an older agent image replaced (sidecar.ts).
 */
export async function startTeamSidecar(
  runtime: ContainerRuntime,
  options: { hubId: string; team: string; workspace: string; onProgress?: (line: string) => void },
): Promise<void> {
  const { hubId, team, workspace } = options;
  const volume = teamWorkspaceVolume(hubId, team, workspace);
  let said = false;
  const sidecar = await ensureSidecar(runtime, {
    name: teamSidecarName(hubId, team),
    volume,
    placement: WorkspacePlacement.synced(workspace, volume.name),
    labels: { ...teamLabels(hubId, team, 'sync', { path: workspace }), [MEMBER]: SIDECAR_MEMBER },
    onProgress: () => {
      if (!said)
        options.onProgress?.("building berth's sync agent image (once per version of berth and node)");
      said = true;
    },
  });
  if (sidecar.created) options.onProgress?.(`started the sync side-car on the volume ${volume.name}`);
  await waitUntilReady(sidecarReady(), containerProbes(runtime, sidecar.id), {
    timeoutMs: SIDECAR_READY_MS,
    subject: `the sync side-car of team ${team}`,
  });
}

/** The team's side-car, whatever its state; undefined when it has none. */
export function teamSidecar(
  runtime: ContainerRuntime,
  hubId: string,
  team: string,
): Promise<ContainerInfo | undefined> {
  return findSidecar(runtime, teamSidecarName(hubId, team));
}
