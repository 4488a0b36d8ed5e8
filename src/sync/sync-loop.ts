import type { SyncPath } from '../workspace/sync-tree/entry.js';
import type { Replica, WatchHint } from '../workspace/sync-tree/replica.js';
import type { CycleReport } from './sync-pair.js';

/** How soon after a watcher's hint a cycle starts: edits that come together share one cycle. */
const DEBOUNCE_MS = 15;
/** Watchers are hints, scans are truth: a full cycle at least this often, hint or not. */
export const RESCAN_MS = 10 * 60 * 1000;
const RETRY_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/**
 * More hinted paths than this in one cycle: scanning everything is cheaper than walking to each.
 * A `git checkout` of a few thousand files stays scoped (both sides walk to those paths only,
 * not through every entry of the tree; the scope's test costs each path its depth).
 */
const MAX_SCOPED_PATHS = 10_000;

export interface SyncLoopDeps {
  project: string;
  open: () => Promise<{ local: Replica; container: Replica }>;
  /** A new connection after the agent's stream ended. */
  reopen: () => Promise<{ local: Replica; container: Replica }>;
  /** One cycle: scoped to `paths` (a watcher's hints), or everything when absent. */
  cycle: (paths?: SyncPath[]) => Promise<CycleReport>;
  onReport: (report: CycleReport) => void;
  onError: (err: unknown) => void;
}

/**
 * Keeps one pair in sync: both sides' watchers schedule a cycle, hints that arrive during a
 * cycle schedule exactly one more, a periodic cycle runs regardless, and a failure is retried
 * with growing pauses (a lost agent stream is reopened, its watchers with it).
 */
export class SyncLoop {
  private stopWatching: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private inCycle = false;
  private again = false;
  private failures = 0;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  /** What the next cycle must look at: hinted paths, or everything. */
  private pending: Set<SyncPath> | 'all' = 'all';

  constructor(private readonly deps: SyncLoopDeps) {}

  async start(): Promise<void> {
    await this.attach(await this.deps.open());
    this.periodic = setInterval(() => {
      this.pending = 'all';
      this.schedule(0);
    }, RESCAN_MS);
    this.periodic.unref();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.periodic);
    for (const stop of this.stopWatching) stop();
    this.stopWatching = [];
    await this.current;
  }

  /** Watches the pair's current connection again (after it was reopened elsewhere). */
  async reattach(): Promise<void> {
    if (!this.stopped) await this.attach(await this.deps.open());
  }

  private async attach(pair: { local: Replica; container: Replica }): Promise<void> {
    for (const stop of this.stopWatching) stop();
    const onHint = (hint: WatchHint) => {
      if ('all' in hint || this.pending === 'all') this.pending = 'all';
      else {
        for (const path of hint.paths) this.pending.add(path);
        if (this.pending.size > MAX_SCOPED_PATHS) this.pending = 'all';
      }
      this.schedule(DEBOUNCE_MS);
    };
    this.stopWatching = await Promise.all([pair.local.watch(onHint), pair.container.watch(onHint)]);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.inCycle) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.current = this.run();
    }, delayMs);
  }

  private async run(): Promise<void> {
    this.inCycle = true;
    this.again = false;
    const scope = this.pending;
    this.pending = new Set();
    let retryIn: number | undefined;
    try {
      const report = await this.deps.cycle(scope === 'all' ? undefined : [...scope]);
      this.failures = 0;
      if (
        report.toLocal + report.toContainer > 0 ||
        report.conflicts.length ||
        report.halt ||
        report.retry.length
      )
        this.deps.onReport(report);
      // changes skipped because a side moved under them are picked up at once
      if (report.retry.length > 0) {
        this.pending = 'all';
        this.again = true;
      }
    } catch (err) {
      this.pending = 'all';
      this.deps.onError(err);
      retryIn = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)]!;
      this.failures++;
      try {
        if (!this.stopped) await this.attach(await this.deps.reopen());
      } catch (reopenErr) {
        this.deps.onError(reopenErr);
      }
    } finally {
      this.inCycle = false;
    }
    if (retryIn !== undefined) this.schedule(retryIn);
    else if (this.again) this.schedule(DEBOUNCE_MS);
  }
}
