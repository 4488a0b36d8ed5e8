import { SYNC_STATE_DIR, type SyncPath } from '../workspace/sync-tree/entry.js';
import { IgnoreRules } from '../workspace/sync-tree/scan.js';

/**
 * A pair's ignore rules, judged on the host for both sides (rule 8 of the design notes): what
 * the agent reports is filtered again here, so a side can never make the other see a different
 * set of paths. A path is ignored when it, or any folder above it, matches.
 */
export class SyncIgnore {
  /** The same matcher the replicas scan with; this class adds the folders above a path. */
  private readonly rules: IgnoreRules;
  private readonly memo = new Map<SyncPath, boolean>();
  /** Every cycle asks about the same paths again: the answers are kept (up to a bound). */
  private readonly files = new Map<SyncPath, boolean>();

  constructor(readonly patterns: readonly string[]) {
    this.rules = new IgnoreRules(patterns);
  }

  /** `isDir` matters for patterns ending in `/`. */
  ignores(path: SyncPath, isDir: boolean): boolean {
    if (path === '') return false;
    if (isDir) return this.ignoresDir(path);
    let known = this.files.get(path);
    if (known === undefined) {
      known = this.judge(path, false);
      if (this.files.size > 400_000) this.files.clear();
      this.files.set(path, known);
    }
    return known;
  }

  private judge(path: SyncPath, isDir: boolean): boolean {
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    if (parent !== '' && this.ignoresDir(parent)) return true;
    if (path === SYNC_STATE_DIR || path.startsWith(`${SYNC_STATE_DIR}/`)) return true;
    return this.rules.ignores(path, isDir);
  }

  private ignoresDir(path: SyncPath): boolean {
    let known = this.memo.get(path);
    if (known === undefined) {
      known = this.judge(path, true);
      if (this.memo.size > 100_000) this.memo.clear();
      this.memo.set(path, known);
    }
    return known;
  }
}
