import type { UserEffect } from './sync-fuzz-user.js';
import { createHash } from 'node:crypto';
import { atticFiles, atticFilesOf, isFile, walkSide } from './sync-fuzz-tree.js';

/**
 * The fuzz's oracle: no version of a file is ever lost by sync.
 *
 * A version is a file content the user wrote (every write, append and truncate makes a content
 * no other version has, so a content names its version). The universe where a version may
 * live is: any file on either side, at any path (in place, moved by a rename, in a
 * `.berth-conflict-*` copy, in a `.berth-aside-*` entry an interrupted change left), and either
 * side's attic (`.berth-sync/attic/**`, read by content). The stage is not part of it: content
 * there is in transit, never the only copy of anything.
 *
 * The invariant, checked after every sync step (and right before a change the fuzz makes in the
 * middle of a cycle): every version in REQUIRED has at least one copy in the universe.
 *
 * REQUIRED holds every version ever written, except those the user itself destroyed: when a
 * user operation (overwrite, append, truncate, delete, rm -rf, rename over) takes away a copy
 * of a version that had no other copy anywhere, that version leaves REQUIRED for good; it was
 * the user's doing. This is stricter than "versions a scan saw": an unseen version must survive
 * too, because sync may only change a path after checking it still holds what the scan saw.
 *
 * Why there are no false alarms: between two observations only the fuzz's own operations
 * change the trees (cycles are awaited; a concurrent change runs in a hook, after a fresh
 * observation), so the copy counts from the last observation plus each operation's exact
 * effect (what it removed, what it wrote, read from the side just before) are the real counts;
 * before a version leaves REQUIRED its attic files are looked for once more (a cycle may have
 * put one there that no look has seen yet). A version leaves REQUIRED only when the real count
 * hit zero by a user operation; any other way to zero copies is sync removing or replacing
 * the last copy without keeping it. The check after user operations holds by construction
 * (it guards the model); the ones after sync steps are the test.
 */
export class VersionOracle {
  private readonly required = new Set<string>();
  private counts = new Map<string, number>();
  /** Where each version was seen last (for a failure's message). */
  private readonly lastSeen = new Map<string, string>();
  /** Both attics' files (full path) with their content, as of the last attic listing. */
  private attic = new Map<string, string>();

  constructor(private readonly roots: { local: string; container: string }) {}

  get size(): number {
    return this.required.size;
  }

  /**
   * Counts every copy of every content in the universe afresh. Both trees are read whole each
   * time. The attics are known from earlier looks; a version that is in neither tree and has
   * no known attic file still there (lstat) is looked for where an attic keeps its digest's
   * bytes (`attic/<xx>/<digest>*`), read by content; `verifyAttic` (at barriers) lists and
   * reads both attics whole, so a known file that changed or went is noticed too.
   */
  observe(verifyAttic = false): void {
    const counts = new Map<string, number>();
    const add = (content: string, where: string) => {
      counts.set(content, (counts.get(content) ?? 0) + 1);
      this.lastSeen.set(content, where);
    };
    for (const side of ['local', 'container'] as const) {
      for (const [path, seen] of walkSide(this.roots[side]))
        if (seen.kind === 'file') add(seen.content, `${side}:${path}`);
    }
    const listAttic = (verify: boolean) => {
      const next = new Map<string, string>();
      for (const root of [this.roots.local, this.roots.container])
        for (const [file, content] of atticFiles(root, this.attic, verify)) next.set(file, content);
      this.attic = next;
    };
    if (verifyAttic) listAttic(true);
    const byContent = filesByContent(this.attic);
    for (const content of this.required) {
      if (counts.has(content) || byContent.get(content)?.some(isFile)) continue;
      // in neither tree, and no attic file known: look where an attic keeps this digest's bytes
      this.findInAttic(content);
    }
    for (const [file, content] of this.attic)
      add(content, file.includes(this.roots.local + '/') ? 'local:attic' : 'container:attic');
    this.counts = counts;
  }

  /** A user operation's exact effect: copies it removed, then versions it wrote. */
  userDid(effect: UserEffect): void {
    for (const content of effect.destroyed) {
      let left = (this.counts.get(content) ?? 0) - 1;
      // the last copy known: an attic may hold one not looked at yet (a cycle put it there)
      if (left <= 0) left = this.findInAttic(content);
      if (left > 0) this.counts.set(content, left);
      else {
        this.counts.delete(content);
        this.required.delete(content);
      }
    }
    for (const content of effect.created) {
      this.counts.set(content, (this.counts.get(content) ?? 0) + 1);
      this.required.add(content);
    }
  }

  /** Looks for a content's attic files (where an attic keeps its digest); how many are there. */
  private findInAttic(content: string): number {
    let n = 0;
    for (const root of [this.roots.local, this.roots.container])
      for (const [file, text] of atticFilesOf(root, digestOf(content))) {
        this.attic.set(file, text);
        if (text === content) n++;
      }
    return n;
  }

  /** Versions in REQUIRED with no copy left, each with where it was seen last. */
  lost(): { version: string; lastSeen: string }[] {
    const out: { version: string; lastSeen: string }[] = [];
    for (const content of this.required) {
      if ((this.counts.get(content) ?? 0) === 0)
        out.push({ version: content, lastSeen: this.lastSeen.get(content) ?? 'never observed' });
    }
    return out;
  }
}

function filesByContent(files: ReadonlyMap<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [file, content] of files) {
    const list = out.get(content);
    if (list) list.push(file);
    else out.set(content, [file]);
  }
  return out;
}

const digests = new Map<string, string>();
function digestOf(content: string): string {
  let d = digests.get(content);
  if (d === undefined) {
    d = createHash('sha256').update(Buffer.from(content, 'latin1')).digest('hex');
    digests.set(content, d);
  }
  return d;
}
