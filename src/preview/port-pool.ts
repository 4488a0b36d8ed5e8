import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, isBerthError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { PreviewPortRecord } from '../store/preview-port-table.js';
import { withFolderLock } from '../workspace/folder-lock.js';
import { isPortExcluded } from './blocked-ports.js';
import { portIsFree } from './port-probe.js';

/** The host ports previews are published on (issue 12): above the usual dev-server defaults. */
export const PREVIEW_PORT_RANGE: readonly [number, number] = [5000, 8999];

/** Who a preview port belongs to. */
export interface PortOwner {
  team: string;
  app: string;
}

export interface PortPoolDeps {
  store: Store;
  /** BERTH_HOME: the allocation lock lives under it (every berth process of this home shares it). */
  home: string;
  /** Inclusive; default PREVIEW_PORT_RANGE. */
  range?: readonly [number, number];
  /** Default process.platform (macOS leaves out the ports its AirPlay Receiver takes). */
  platform?: NodeJS.Platform;
  /** How long to wait for another process's allocation (default 2 minutes). */
  lockWaitMs?: number;
}

/**
 * Host ports for previews: each team app gets one port from the range and keeps it (across
 * restarts of berth and of the preview) until it is released, so its URL stays the same. Ports
 * browsers refuse to load are never handed out, nor ports something on the host already listens
 * on. Allocation runs under a lock file shared by every berth process of this BERTH_HOME, and the
 * store's UNIQUE port is the backstop, so concurrent starts never collide.
 */
export class PortPool {
  private readonly range: readonly [number, number];
  private readonly lockName: string;

  constructor(private readonly deps: PortPoolDeps) {
    const [low, high] = deps.range ?? PREVIEW_PORT_RANGE;
    if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65535 || low > high) {
      throw new BerthError(
        'INVALID_ARGUMENT',
        `the preview port range ${low}–${high} is not a range of TCP ports`,
        {
          range: [low, high],
        },
      );
    }
    this.range = [low, high];
    mkdirSync(deps.home, { recursive: true, mode: 0o700 });
    // the lock is named by a path; the real path makes every spelling of the home share it
    this.lockName = join(realpathSync(deps.home), 'preview-port-pool');
  }

  /**
   * The owner's port: the one it has, or a new one. A port it already has is returned without a
   * bind check (its own preview may be listening on it); use reallocate() when the container
   * start found it taken by someone else.
   */
  allocate(owner: PortOwner): Promise<number> {
    return this.locked(owner, 'allocating a preview port', async () => {
      const current = this.table().get(owner.team, owner.app);
      if (current !== undefined && this.usable(current.port)) return current.port;
      return this.pick(owner, current?.port);
    });
  }

  /** A new port for the owner, never the one it has (which something else took meanwhile). */
  reallocate(owner: PortOwner): Promise<number> {
    return this.locked(owner, 'reallocating a preview port', async () => {
      const current = this.table().get(owner.team, owner.app);
      return this.pick(owner, current?.port);
    });
  }

  /** The owner's port, if it has one (no allocation). */
  portOf(owner: PortOwner): number | undefined {
    checkOwner(owner);
    return this.table().get(owner.team, owner.app)?.port;
  }

  /** Gives the owner's port back to the pool; false when it had none. */
  release(owner: PortOwner): boolean {
    checkOwner(owner);
    return this.table().remove(owner.team, owner.app);
  }

  /** Gives back every port of the team (cleanup); returns how many it had. */
  releaseTeam(team: string): number {
    checkName('team', team);
    return this.table().removeTeam(team);
  }

  list(): PreviewPortRecord[] {
    return this.table().list();
  }

  private async pick(owner: PortOwner, avoid: number | undefined): Promise<number> {
    const table = this.table();
    const taken = new Set(table.list().map((r) => r.port));
    let busy = 0;
    const [low, high] = this.range;
    for (let port = low; port <= high; port++) {
      if (port === avoid || taken.has(port) || !this.usable(port)) continue;
      if (!(await portIsFree(port))) {
        busy++;
        continue;
      }
      // the UNIQUE port refuses a port another owner got by a path this lock does not cover
      if (table.put(owner.team, owner.app, port)) return port;
      taken.add(port);
    }
    throw this.exhausted(taken.size, busy);
  }

  private exhausted(taken: number, busy: number): BerthError {
    const [low, high] = this.range;
    let usable = 0;
    for (let port = low; port <= high; port++) if (this.usable(port)) usable++;
    return new BerthError(
      'UP_FAILED',
      `no preview port is free in ${low}–${high}: of its ${usable} usable ports (browser-blocked ones left out), ` +
        `${taken} are held by berth previews and ${busy} by other programs listening on them; ` +
        'release some with `berth team cleanup <team>`, or stop what listens there',
      { reason: 'PORT_POOL_EXHAUSTED', range: [low, high], usable, taken, busy },
    );
  }

  private usable(port: number): boolean {
    const [low, high] = this.range;
    return port >= low && port <= high && !isPortExcluded(port, this.deps.platform);
  }

  private async locked<T>(owner: PortOwner, what: string, fn: () => Promise<T>): Promise<T> {
    checkOwner(owner);
    try {
      return await withFolderLock(this.deps.home, this.lockName, what, fn, { waitMs: this.deps.lockWaitMs });
    } catch (err) {
      if (!isBerthError(err, 'FOLDER_BUSY')) throw err;
      const holder = err.details.holder as { what?: string; pid?: number } | undefined;
      const who = holder?.pid
        ? `${holder.what ?? 'another berth process'} (pid ${holder.pid})`
        : 'another berth process';
      throw new BerthError(
        'FOLDER_BUSY',
        `the preview port pool is busy: ${who} holds its lock; try again`,
        err.details,
      );
    }
  }

  private table() {
    return this.deps.store.previewPorts();
  }
}

function checkOwner(owner: PortOwner): void {
  checkName('team', owner.team);
  checkName('app', owner.app);
}

function checkName(what: string, name: unknown): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new BerthError('INVALID_ARGUMENT', `a preview port's ${what} must be a non-empty name`, {
      [what]: name,
    });
  }
}

/** BERTH_PREVIEW_PORTS=LOW-HIGH narrows the preview ports (say, to what a firewall lets through). */
export function previewPortRange(env: NodeJS.ProcessEnv): readonly [number, number] | undefined {
  const text = env.BERTH_PREVIEW_PORTS?.trim();
  if (!text) return undefined;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const low = Number(m?.[1]);
  const high = Number(m?.[2]);
  if (!m || low < 1024 || high > 65535 || low > high) {
    throw new BerthError(
      'CONFIG_INVALID',
      `BERTH_PREVIEW_PORTS=${text}: give a range of ports LOW-HIGH between 1024 and 65535, such as 5000-5999`,
    );
  }
  return [low, high];
}
