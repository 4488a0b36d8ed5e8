import type { ScanProblem, ScanResult, SyncEntry, SyncPath } from '../../workspace/sync-tree/entry.js';
import { checkEntry, checkProblem, checkWirePath, isRecordValue, parseBody, violation } from './validate.js';

/** A scan holds at most this many entries (the cap). */
export const MAX_SCAN_ENTRIES = 1_000_000;
/** And its parts at most this many bytes of JSON together. */
export const MAX_SCAN_BYTES = 512 * 1024 * 1024;
const MAX_PROBLEMS = 100_000;

/**
 * Builds a ScanResult from the agent's `scan-part` frames, checking each entry as it comes and
 * the whole at the end: no path twice, every path's parent a folder in the scan (or under a
 * problem), the root present exactly when the scan says it is a folder.
 *
 * A scan sent as changes against an earlier one (`base`, the client's copy of it) starts from a
 * copy of that scan: its parts' entries replace or add, their `removed` paths (each one in the
 * base, once) go; the whole is then checked as a full scan is.
 */
export class ScanCollector {
  private readonly entries: Map<SyncPath, SyncEntry>;
  private readonly problems: ScanProblem[] = [];
  private readonly seen = new Set<SyncPath>();
  private bytes = 0;

  constructor(private readonly base?: ReadonlyMap<SyncPath, SyncEntry>) {
    this.entries = new Map(base);
  }

  add(body: Buffer): void {
    this.bytes += body.length;
    if (this.bytes > MAX_SCAN_BYTES) throw violation(`a scan over ${MAX_SCAN_BYTES} bytes`);
    const part = parseBody(body, 'a scan part');
    if (!isRecordValue(part) || !Array.isArray(part.entries) || !Array.isArray(part.problems))
      throw violation('a scan part that is not { entries, problems }');
    const removed = part.removed ?? [];
    if (!Array.isArray(removed) || (removed.length > 0 && this.base === undefined))
      throw violation('removed paths in a scan that is not sent as changes');
    if (this.entries.size + part.entries.length > MAX_SCAN_ENTRIES)
      throw violation(`a scan of more than ${MAX_SCAN_ENTRIES} entries`);
    if (this.problems.length + part.problems.length > MAX_PROBLEMS)
      throw violation(`a scan of more than ${MAX_PROBLEMS} problems`);
    for (const pair of part.entries as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw violation('a scan entry that is not [path, entry]');
      const path = checkWirePath(pair[0]);
      if (this.seen.has(path) || (this.base === undefined && this.entries.has(path)))
        throw violation('the same path twice in a scan');
      if (this.base !== undefined) this.seen.add(path);
      this.entries.set(path, checkEntry(pair[1]));
    }
    for (const value of removed as unknown[]) {
      const path = checkWirePath(value);
      if (this.seen.has(path) || !this.base!.has(path))
        throw violation('a removed path that is not in the scan it changes, or named twice');
      this.seen.add(path);
      this.entries.delete(path);
    }
    for (const problem of part.problems as unknown[]) this.problems.push(checkProblem(problem));
  }

  finish(root: unknown): ScanResult {
    if (root !== 'dir' && root !== 'missing' && root !== 'not-a-dir')
      throw violation('a scan end without a root state');
    const top = this.entries.get('');
    if (root === 'dir' ? top?.kind !== 'dir' : this.entries.size > 0)
      throw violation('a scan whose root entry does not match its root state');
    const problemPaths = new Set(this.problems.map((p) => p.path));
    for (const path of this.entries.keys()) {
      if (path === '') continue;
      const slash = path.lastIndexOf('/');
      const parent = slash < 0 ? '' : path.slice(0, slash);
      if (this.entries.get(parent)?.kind !== 'dir' && !problemPaths.has(parent))
        throw violation('a scan entry whose parent is not a folder in the scan');
    }
    return { entries: this.entries, problems: this.problems, root };
  }
}
