import { statSync } from 'node:fs';
import type { ProjectConfig } from '../config/types.js';
import { BerthError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ContainerRuntime, Labels } from '../runtime/container-runtime.js';
import { hubLabels } from '../runtime/labels.js';
import type { SyncTable } from '../store/sync-table.js';
import { WorkspacePlacement } from '../workspace/placement.js';
import type { SyncPath } from '../workspace/sync-tree/entry.js';
import { LocalReplica } from '../workspace/sync-tree/local-replica.js';
import type { Replica } from '../workspace/sync-tree/replica.js';
import { decodeEntry } from './entry-codec.js';
import { connectAgent } from './remote-replica.js';
import { resolveConflict, type Keep, type ResolveReport } from './sync-resolve.js';
import { SyncLoop } from './sync-loop.js';
import { SyncPair, type CycleOptions, type CycleReport } from './sync-pair.js';

/**
 * What the service syncs: a configured project, or any other host folder with a side-car on
 * its volume (a team's work tree). `sidecarLabels` find its side-car (default: the project's
 * `sync` member), `startHint` says how to start one when none runs (default `berth up`), and
 * `ownHostFiles` hands what sync makes on the host to the volume's owner too (when berth runs
 * as root; a team's work tree belongs to its containers' uid).
 */
export type SyncedWorkspace = Pick<ProjectConfig, 'name' | 'path' | 'workspace' | 'sync'> & {
  sidecarLabels?: Labels;
  startHint?: string;
  ownHostFiles?: boolean;
};

export interface SyncServiceDeps {
  runtime: ContainerRuntime;
  table: SyncTable;
  logger: Logger;
  home: string;
  hubId: string;
  /** Read on every call, so a getter may give a list that changes (teams come and go). */
  projects: readonly SyncedWorkspace[];
}

export interface ConflictStatus {
  path: string;
  copy: string;
  detectedAt: string;
  local: { kind: string; size?: number } | null;
  container: { kind: string; size?: number } | null;
}

export interface SyncStatus {
  project: string;
  state: 'never-synced' | 'in-sync' | 'syncing' | 'halted' | 'error' | 'conflicts';
  lastCycleAt: string | null;
  cycles: number;
  movedLastHour: { toLocal: number; toContainer: number };
  conflicts: ConflictStatus[];
  halt: { reason: string; side: string; detail: string } | null;
  lastError: string | null;
  /** Scan problems of this process's last cycle (paths not synced, and why). */
  problems: { side: string; path: string; reason: string }[];
  /** Files and bytes in the last agreed state. */
  workspace: { files: number; folders: number; links: number; bytes: number };
}

interface OpenPair {
  pair: SyncPair;
  local: Replica;
  container: Replica;
  closed: boolean;
}

/**
 * The synced projects of one hub: each one's pair (host folder ↔ volume, through the agent in
 * its sync side-car), opened on first use and reopened when the agent's stream ends. The CLI,
 * the MCP server and the ops side-car all drive sync through this.
 */
export class SyncService {
  private readonly open = new Map<string, Promise<OpenPair>>();
  private readonly lastReports = new Map<string, CycleReport>();
  private readonly running = new Set<string>();
  private readonly loops = new Map<string, SyncLoop>();

  constructor(private readonly deps: SyncServiceDeps) {}

  /** The projects with `workspace: sync`. */
  synced(): SyncedWorkspace[] {
    return this.deps.projects.filter((p) => p.workspace === 'sync');
  }

  isSynced(name: string): boolean {
    return this.synced().some((p) => p.name === name);
  }

  project(name: string): SyncedWorkspace {
    const project = this.deps.projects.find((p) => p.name === name);
    if (!project) {
      const known = this.deps.projects.map((p) => p.name).join(', ');
      throw new BerthError('UNKNOWN_PROJECT', `unknown project "${name}"; configured: ${known}`, {
        project: name,
      });
    }
    if (project.workspace !== 'sync') {
      throw new BerthError(
        'NOT_SYNCED',
        `project "${name}" is bind-mounted (workspace: bind): its container sees the folder itself, there is nothing to sync`,
        { project: name },
      );
    }
    return project;
  }

  /** One cycle (a full scan of both sides). */
  async cycle(name: string, options: CycleOptions = {}): Promise<CycleReport> {
    return this.track(name, (pair) => pair.cycle(options));
  }

  /** Cycles until what changed before the call has crossed: `sync_from_local`, `berth sync --once`, the initial sync of `up`. */
  async barrier(name: string, options: CycleOptions = {}): Promise<CycleReport> {
    return this.track(name, (pair) => pair.barrier(5, options));
  }

  async resolve(name: string, path: SyncPath, keep: Keep): Promise<ResolveReport> {
    const open = await this.pairFor(name);
    const report = await resolveConflict({
      pair: open.pair,
      table: this.deps.table,
      hubId: this.deps.hubId,
      project: name,
      local: open.local,
      container: open.container,
      path,
      keep,
    });
    return report;
  }

  status(name: string): SyncStatus {
    const project = this.project(name);
    const { table, hubId } = this.deps;
    const pair = table.pair(hubId, project.name);
    const conflicts = table.conflicts(hubId, project.name).map((c) => ({
      path: c.path,
      copy: c.copy,
      detectedAt: c.detectedAt,
      local: summary(c.local, c.path),
      container: summary(c.container, c.path),
    }));
    const workspace = { files: 0, folders: 0, links: 0, bytes: 0 };
    for (const [path, text] of table.ancestor(hubId, project.name)) {
      const entry = decodeEntry(text, path);
      if (entry.kind === 'file') {
        workspace.files++;
        workspace.bytes += entry.size;
      } else if (entry.kind === 'dir') {
        if (path !== '') workspace.folders++;
      } else workspace.links++;
    }
    const halt = pair?.halt ? (JSON.parse(pair.halt) as SyncStatus['halt']) : null;
    const state: SyncStatus['state'] = !pair?.lastCycleAt
      ? 'never-synced'
      : halt
        ? 'halted'
        : this.running.has(name)
          ? 'syncing'
          : pair.lastError
            ? 'error'
            : conflicts.length > 0
              ? 'conflicts'
              : 'in-sync';
    return {
      project: project.name,
      state,
      lastCycleAt: pair?.lastCycleAt ?? null,
      cycles: pair?.cycles ?? 0,
      movedLastHour: table.movedSince(hubId, project.name, new Date(Date.now() - 3600_000)),
      conflicts,
      halt,
      lastError: pair?.lastError ?? null,
      problems: this.lastReports.get(name)?.problems ?? [],
      workspace,
    };
  }

  /**
   * Keeps these projects in sync until `stop` is called: watchers on both sides trigger cycles,
   * a periodic full cycle catches what a watcher missed. `onReport` sees every cycle that moved
   * something, found a conflict or halted; `onError` every failure (the loop retries).
   */
  async watch(
    names: readonly string[],
    handlers: {
      onReport?: (project: string, report: CycleReport) => void;
      onError?: (project: string, err: unknown) => void;
    } = {},
  ): Promise<() => Promise<void>> {
    for (const name of names) {
      this.project(name);
      if (this.loops.has(name)) continue;
      const loop = new SyncLoop({
        project: name,
        open: () => this.pairFor(name),
        reopen: () => this.reopen(name),
        cycle: (paths) => this.cycle(name, paths ? { paths } : {}),
        onReport: (report) => handlers.onReport?.(name, report),
        onError: (err) => {
          this.deps.logger.warn({ project: name, err: describeError(err) }, 'sync cycle failed');
          handlers.onError?.(name, err);
        },
      });
      this.loops.set(name, loop);
      await loop.start();
    }
    return async () => {
      for (const name of names) {
        await this.loops.get(name)?.stop();
        this.loops.delete(name);
      }
    };
  }

  /** Whether a loop keeps this project in sync in this process. */
  watching(name: string): boolean {
    return this.loops.has(name);
  }

  async close(): Promise<void> {
    for (const loop of this.loops.values()) await loop.stop();
    this.loops.clear();
    for (const [name] of this.open) await this.dropPair(name);
  }

  private async track(name: string, fn: (pair: SyncPair) => Promise<CycleReport>): Promise<CycleReport> {
    this.project(name);
    let open = await this.pairFor(name);
    this.running.add(name);
    try {
      let report: CycleReport;
      try {
        report = await fn(open.pair);
      } catch (err) {
        // the agent's stream ended (container restarted, agent killed): one reconnect, then again
        if (!open.closed) throw err;
        open = await this.reopen(name);
        await this.loops.get(name)?.reattach();
        report = await fn(open.pair);
      }
      this.lastReports.set(name, report);
      return report;
    } finally {
      this.running.delete(name);
    }
  }

  private pairFor(name: string): Promise<OpenPair> {
    let open = this.open.get(name);
    if (!open) {
      open = this.connect(name);
      open.catch(() => this.open.delete(name));
      this.open.set(name, open);
    }
    return open;
  }

  private async reopen(name: string): Promise<OpenPair> {
    await this.dropPair(name);
    return this.pairFor(name);
  }

  private async dropPair(name: string): Promise<void> {
    const open = this.open.get(name);
    this.open.delete(name);
    const pair = await open?.catch(() => undefined);
    if (pair) {
      pair.closed = true;
      await Promise.allSettled([pair.local.close(), pair.container.close()]);
    }
  }

  private async connect(name: string): Promise<OpenPair> {
    const project = this.project(name);
    const { runtime, hubId } = this.deps;
    const [sidecar] = (
      await runtime.containers.list(project.sidecarLabels ?? hubLabels(hubId, 'sync', name))
    ).filter((c) => c.state === 'running');
    if (!sidecar) {
      throw new BerthError(
        'NOT_RUNNING',
        `project "${name}" has no running sync side-car; run \`${project.startHint ?? `berth up ${name}`}\` first`,
        { project: name },
      );
    }
    const placement = WorkspacePlacement.forProject(project);
    // files in the volume belong to whoever owns the folder (the project container runs as them)
    const folder = statSync(project.path);
    const owner = project.sync.owner ?? { uid: folder.uid, gid: folder.gid };
    const local = new LocalReplica({
      root: placement.hostPath(),
      side: 'local',
      atticMaxBytes: project.sync.atticMaxBytes,
      ...(project.ownHostFiles ? { owner } : {}),
    });
    const container = await connectAgent(runtime, sidecar.id, {
      root: placement.containerPath(),
      owner,
      atticMaxBytes: project.sync.atticMaxBytes,
    });
    const entry: OpenPair = {
      local,
      container,
      closed: false,
      pair: new SyncPair({
        hubId,
        project: name,
        home: this.deps.home,
        hostPath: project.path,
        local,
        container,
        table: this.deps.table,
        ignore: project.sync.ignore,
      }),
    };
    container.onClose?.(() => {
      entry.closed = true;
      if (this.open.get(name) !== undefined) void this.dropPair(name);
    });
    return entry;
  }
}

function summary(text: string | null, path: string): ConflictStatus['local'] {
  if (text === null) return null;
  const entry = decodeEntry(text, path);
  return entry.kind === 'file' ? { kind: 'file', size: entry.size } : { kind: entry.kind };
}
