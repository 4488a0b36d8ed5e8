import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../../errors.js';
import { OpRunner } from './apply-op.js';
import { Attic, type AtticRecord } from './attic.js';
import { readContent } from './content-read.js';
import { DigestCache } from './digest-cache.js';
import type { OpResult, ReplicaIdentity, ScanResult, SyncOp, SyncPath } from './entry.js';
import { readIdentity } from './identity.js';
import type {
  ContentChunk,
  ContentRequest,
  Replica,
  ScanOptions,
  StageResult,
  WatchHint,
} from './replica.js';
import { IgnoreRules, scanTree } from './scan.js';
import { clearStageDir, stageChunks, type StagedFile } from './stage.js';
import { closeStateDirs, openStateDirs, type StateDirs } from './state-dir.js';
import { TreeWatcher } from './watch.js';
import { checkSyncPath as checkPath } from './sync-path.js';

const { O_RDONLY, O_DIRECTORY } = fs.constants;

export interface LocalReplicaOptions {
  /** Absolute path of the sync root (opened once as a folder fd). */
  root: string;
  side: 'local' | 'container';
  /** New entries are handed to this owner (when running as root). */
  owner?: { uid: number; gid: number };
  /** Files larger than this are a scan problem (default 4 GiB). */
  maxFileBytes?: number;
  /** More entries than this fail the scan (default 1,000,000). */
  maxEntries?: number;
  /** The attic drops its oldest versions beyond this (default 1 GiB). */
  atticMaxBytes?: number;
  /** Full scans lstat from the working folder (see ScanLimits.statInCwd): the agent's choice. */
  statInCwd?: boolean;
}

const GiB = 1024 * 1024 * 1024;

/**
 * One side of a sync pair over a folder this process can reach: the host's project folder, or
 * the volume as the sync agent beside the container sees it. Everything goes through fds
 * below the root's (fd-dir.ts); nothing is followed, nothing replaced is lost (the attic).
 * Runs on a bare `node` too: it imports node builtins, `ignore` and its own folder only.
 */
export class LocalReplica implements Replica {
  readonly side: 'local' | 'container';
  private readonly maxFileBytes: number;
  private readonly maxEntries: number;
  private readonly atticMaxBytes: number;
  private rootFd: number | undefined;
  private rootDev = 0n;
  private rootIno = 0n;
  private state: StateDirs | undefined;
  private atticStore: Attic | undefined;
  private readonly cache = new DigestCache();
  /** What this replica staged and verified, by digest: a put takes nothing else. */
  private readonly staged = new Map<string, StagedFile>();
  private rules = new IgnoreRules([]);
  private readonly watchers = new Set<TreeWatcher>();

  constructor(private readonly options: LocalReplicaOptions) {
    if (!options.root.startsWith('/')) {
      throw new BerthError('INVALID_ARGUMENT', `the sync root "${options.root}" is not an absolute path`);
    }
    this.side = options.side;
    this.maxFileBytes = options.maxFileBytes ?? 4 * GiB;
    this.maxEntries = options.maxEntries ?? 1_000_000;
    this.atticMaxBytes = options.atticMaxBytes ?? GiB;
  }

  async identity(): Promise<ReplicaIdentity> {
    return readIdentity(this.root(), this.stateDirs().fd);
  }

  async scan(options: ScanOptions): Promise<ScanResult> {
    const status = this.rootStatus();
    if (status !== 'dir') return { entries: new Map(), problems: [], root: status };
    // kept while the rules stay the same: it remembers its answers
    if (!this.rules.same(options.ignore)) this.rules = new IgnoreRules(options.ignore);
    if (options.paths !== undefined) {
      for (const path of options.paths) checkPath(path);
      // a scoped scan keeps every cached digest: it saw only part of the tree
      const { entries, problems } = scanTree(
        this.root(),
        this.rules,
        this.cache,
        { maxFileBytes: this.maxFileBytes, maxEntries: this.maxEntries },
        options.paths,
      );
      return { entries, problems, root: 'dir' };
    }
    this.cache.beginScan();
    let complete = false;
    try {
      const { entries, problems } = scanTree(this.root(), this.rules, this.cache, {
        maxFileBytes: this.maxFileBytes,
        maxEntries: this.maxEntries,
        ...(this.options.statInCwd ? { statInCwd: true } : {}),
      });
      complete = true;
      return { entries, problems, root: 'dir' };
    } finally {
      this.cache.endScan(complete);
    }
  }

  read(files: ContentRequest[]): AsyncIterable<ContentChunk> {
    return readContent(this.root(), this.rootDev, files);
  }

  async stage(chunks: AsyncIterable<ContentChunk>): Promise<StageResult> {
    return stageChunks(this.stateDirs().stage, chunks, this.maxFileBytes, (digest, file) =>
      this.staged.set(digest, file),
    );
  }

  async apply(ops: SyncOp[]): Promise<OpResult[]> {
    const runner = new OpRunner(
      {
        rootFd: this.root(),
        rootDev: this.rootDev,
        state: this.stateDirs(),
        attic: this.attic(),
        cache: this.cache,
        staged: this.staged,
        side: this.side,
        owner: this.options.owner,
      },
      ops,
    );
    const results = ops.map((op) => runner.run(op));
    await runner.finish();
    return results;
  }

  async clearStage(): Promise<void> {
    this.staged.clear();
    clearStageDir(this.stateDirs().stage);
  }

  async watch(onHint: (hint: WatchHint) => void): Promise<() => void> {
    const watcher = new TreeWatcher(this.root(), this.rules, onHint);
    this.watchers.add(watcher);
    watcher.start();
    return () => {
      watcher.stop();
      this.watchers.delete(watcher);
    };
  }

  /** How many folders the running watchers watch (one inotify watch each). */
  watchCount(): number {
    let n = 0;
    for (const w of this.watchers) n += w.count;
    return n;
  }

  /** Every version the attic keeps, newest first. */
  listAttic(): AtticRecord[] {
    return this.attic().list();
  }

  /** The versions the attic keeps that were at `path`, newest first. */
  findAttic(path: SyncPath): AtticRecord[] {
    return this.attic().find(path);
  }

  /** Where the attic keeps a digest's bytes, as a path below the root. */
  atticPath(digest: string): SyncPath {
    return Attic.pathOf(digest);
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.stop();
    this.watchers.clear();
    this.closeRoot();
  }

  private closeRoot(): void {
    this.atticStore?.close();
    this.atticStore = undefined;
    if (this.state) closeStateDirs(this.state);
    this.state = undefined;
    this.staged.clear();
    if (this.rootFd !== undefined) fs.closeSync(this.rootFd);
    this.rootFd = undefined;
    this.cache.clear();
  }

  /**
   * What the root path names now. When it names another folder than the one open (deleted and
   * made again, a volume swapped), the new one is opened: its identity says it is another root.
   */
  private rootStatus(): ScanResult['root'] {
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(this.options.root, { bigint: true });
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return 'missing';
      throw new BerthError(
        'NOT_FOUND',
        `the sync root ${this.options.root} cannot be looked at (${errnoOf(err) ?? String(err)})`,
      );
    }
    if (!st.isDirectory()) return 'not-a-dir';
    if (this.rootFd !== undefined && (st.dev !== this.rootDev || st.ino !== this.rootIno)) this.closeRoot();
    return 'dir';
  }

  private root(): number {
    if (this.rootFd === undefined) {
      let fd: number;
      try {
        fd = fs.openSync(this.options.root, O_RDONLY | O_DIRECTORY);
      } catch (err) {
        throw new BerthError(
          'NOT_FOUND',
          `the sync root ${this.options.root} cannot be opened (${errnoOf(err) ?? 'error'})`,
          {
            root: this.options.root,
          },
        );
      }
      const st = fs.fstatSync(fd, { bigint: true });
      this.rootFd = fd;
      this.rootDev = st.dev;
      this.rootIno = st.ino;
    }
    return this.rootFd;
  }

  private stateDirs(): StateDirs {
    this.state ??= openStateDirs(this.root());
    return this.state;
  }

  private attic(): Attic {
    this.atticStore ??= new Attic(this.stateDirs().attic, this.atticMaxBytes);
    return this.atticStore;
  }
}

export { checkSyncPath } from './sync-path.js';
export type { AtticRecord } from './attic.js';
