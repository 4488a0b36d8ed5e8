import type { UserEffect } from './sync-fuzz-user.js';
import { atticContents, walkSide } from './sync-fuzz-tree.js';

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
 * effect (what it removed, what it wrote, read from the side just before) are the real counts.
 * A version leaves REQUIRED only when the real count hit zero by a user operation; any other
 * way to zero copies is sync removing or replacing the last copy without keeping it.
 */
export class VersionOracle {
  private readonly required = new Set<string>();
  private counts = new Map<string, number>();
  /** Where each version was seen last (for a failure's message). */
  private readonly lastSeen = new Map<string, string>();
  private readonly atticMemo = new Map<string, string>();

  constructor(private readonly roots: { local: string; container: string }) {}

  get size(): number {
    return this.required.size;
  }

  /** Counts every copy of every content in the universe afresh. */
  observe(verifyAttic = false): void {
    const counts = new Map<string, number>();
    const add = (content: string, where: string) => {
      counts.set(content, (counts.get(content) ?? 0) + 1);
      this.lastSeen.set(content, where);
    };
    for (const side of ['local', 'container'] as const) {
      const root = this.roots[side];
      for (const [path, seen] of walkSide(root))
        if (seen.kind === 'file') add(seen.content, `${side}:${path}`);
      for (const content of atticContents(root, this.atticMemo, verifyAttic)) add(content, `${side}:attic`);
    }
    this.counts = counts;
  }

  /** A user operation's exact effect: copies it removed, then versions it wrote. */
  userDid(effect: UserEffect): void {
    for (const content of effect.destroyed) {
      const left = (this.counts.get(content) ?? 0) - 1;
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
