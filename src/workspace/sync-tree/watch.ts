import * as fs from 'node:fs';
import { errnoOf } from '../../errors.js';
import { fdTarget } from '../fd-dir.js';
import { SYNC_STATE_DIR, type SyncPath } from './entry.js';
import type { WatchHint } from './replica.js';
import type { IgnoreRules } from './scan.js';
import { joinSyncPath, pathComponents } from './sync-path.js';
import { openDirIn, reopenDir } from './tree-fds.js';

/** Events are gathered this long before one hint goes out. */
const COALESCE_MS = 20;
/** More changed paths than this in one hint say "rescan everything" instead. */
const MAX_HINT_PATHS = 10_000;

interface Watched {
  watcher: fs.FSWatcher;
  ino: bigint;
}

/**
 * One non-recursive fs.watch (one inotify watch) per folder, never one per file. Each folder is
 * reached through fds with O_NOFOLLOW and watched through its fd's /proc path, so the watch
 * sits on the folder that was checked. New folders are watched as they appear (and hinted
 * whole, since files may land in them before their watch exists); a folder renamed or removed
 * loses its watches. Any watcher error, or a folder that cannot be watched (ENOSPC: out of
 * inotify watches), becomes `{ all: true }`: watchers are hints, scans are the truth.
 */
export class TreeWatcher {
  private readonly watched = new Map<SyncPath, Watched>();
  private pending = new Set<SyncPath>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private overflow: string | undefined;

  constructor(
    private readonly rootFd: number,
    private readonly rules: IgnoreRules,
    private readonly onHint: (hint: WatchHint) => void,
  ) {}

  start(): void {
    this.watchTree(reopenDir(this.rootFd), '');
  }

  /** How many folders are watched (one inotify watch each). */
  get count(): number {
    return this.watched.size;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const { watcher } of this.watched.values()) watcher.close();
    this.watched.clear();
  }

  /** Watches the folder open at `fd` (closed here) and every folder below it. */
  private watchTree(fd: number, path: SyncPath): void {
    try {
      if (!this.watchOne(fd, path)) return;
      let names: Buffer[];
      try {
        names = fs
          .readdirSync(fdTarget(fd), { encoding: 'buffer', withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name as unknown as Buffer);
      } catch (err) {
        this.everything(`a folder cannot be listed (${errnoOf(err) ?? String(err)})`);
        return;
      }
      for (const name of names) {
        const text = name.toString('latin1');
        if (path === '' && text === SYNC_STATE_DIR) continue;
        const child = joinSyncPath(path, text);
        if (this.rules.ignores(child, true) || this.watched.has(child)) continue;
        const opened = openDirIn(fd, name);
        if ('error' in opened) continue;
        this.watchTree(opened.fd, child);
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private watchOne(fd: number, path: SyncPath): boolean {
    if (this.stopped || this.watched.has(path)) return false;
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(fdTarget(fd), { encoding: 'buffer', persistent: false }, (_event, name) =>
        this.event(path, name as Buffer | null),
      );
    } catch (err) {
      this.everything(`a folder cannot be watched (${errnoOf(err) ?? String(err)})`);
      return false;
    }
    watcher.on('error', (err) => this.everything(`a watcher failed (${errnoOf(err) ?? err.message})`));
    this.watched.set(path, { watcher, ino: fs.fstatSync(fd, { bigint: true }).ino });
    return true;
  }

  private event(dir: SyncPath, name: Buffer | null): void {
    if (this.stopped) return;
    if (name === null) {
      this.everything('a folder event came without a name');
      return;
    }
    const text = name.toString('latin1');
    if (dir === '' && text === SYNC_STATE_DIR) return;
    this.pending.add(joinSyncPath(dir, text));
    if (this.pending.size > MAX_HINT_PATHS)
      this.overflow ??= `more than ${MAX_HINT_PATHS} paths changed at once`;
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private everything(reason: string): void {
    this.overflow ??= reason;
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const paths = [...this.pending].sort();
    this.pending = new Set();
    for (const path of paths) this.follow(path);
    const overflow = this.overflow;
    this.overflow = undefined;
    if (overflow !== undefined) this.onHint({ all: true, reason: overflow });
    else if (paths.length > 0) this.onHint({ paths });
  }

  /** Keeps the watches in step with a path that changed: a new folder gets them, a gone one loses them. */
  private follow(path: SyncPath): void {
    const known = this.watched.get(path);
    const opened = this.open(path);
    if (known !== undefined && (opened === undefined || opened.ino !== known.ino)) this.unwatch(path);
    if (opened === undefined) return;
    if (this.rules.ignores(path, true) || (known !== undefined && opened.ino === known.ino)) {
      fs.closeSync(opened.fd);
      return;
    }
    this.watchTree(opened.fd, path);
  }

  private open(path: SyncPath): { fd: number; ino: bigint } | undefined {
    let fd = reopenDir(this.rootFd);
    for (const part of pathComponents(path)) {
      const next = openDirIn(fd, part);
      fs.closeSync(fd);
      if ('error' in next) return undefined;
      fd = next.fd;
    }
    return { fd, ino: fs.fstatSync(fd, { bigint: true }).ino };
  }

  private unwatch(path: SyncPath): void {
    for (const [p, { watcher }] of this.watched) {
      if (p === path || p.startsWith(`${path}/`)) {
        watcher.close();
        this.watched.delete(p);
      }
    }
  }
}
