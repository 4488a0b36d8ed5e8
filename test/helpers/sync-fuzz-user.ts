import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { FuzzRng } from './sync-fuzz-rng.js';
import { walkSide, type Seen } from './sync-fuzz-tree.js';

/**
 * What a user (or an agent in the container) does to one side between syncs, over a small name
 * space so that both sides keep touching the same paths: folders x, y, z (nested at most two
 * deep) and leaves a, b, c, d; a name may hold a file, a folder or a link over time.
 */
export const DIR_NAMES = ['x', 'y', 'z'];
export const LEAF_NAMES = ['a', 'b', 'c', 'd'];
const ALL_NAMES = [...DIR_NAMES, ...LEAF_NAMES];

/** What one user operation did, for the oracle: contents it removed and contents it wrote. */
export interface UserEffect {
  what: string;
  /** File contents this op took out of the side (one per copy removed). */
  destroyed: string[];
  /** File contents this op put in (each a new version). */
  created: string[];
}

const WEIGHTS = {
  write: 20,
  append: 8,
  truncate: 4,
  deleteFile: 8,
  dropConflictCopy: 4,
  mkdir: 6,
  rmrf: 3,
  rename: 9,
  chmod: 5,
  chmodDir: 2,
  symlink: 4,
  fileToDir: 3,
  dirToFile: 3,
};

/** Gives every version written a content no other version has (`v<n>.<padding>`). */
export class VersionSource {
  private n = 0;
  constructor(private readonly rng: FuzzRng) {}
  next(): string {
    return `v${++this.n}.${this.rng.letters(24)}`;
  }
}

export class UserOps {
  constructor(
    private readonly rng: FuzzRng,
    private readonly versions: VersionSource,
  ) {}

  /** One random operation on the folder `root` (`side` only names it in the log). */
  run(root: string, side: string): UserEffect {
    const tree = walkSide(root, true);
    const kind = this.rng.weighted(WEIGHTS);
    const effect: UserEffect = { what: `${side}: ${kind}`, destroyed: [], created: [] };
    const done = (note: string): UserEffect => {
      effect.what = `${side}: ${kind} ${note}`;
      return effect;
    };
    const g = this.rng;
    const pickOf = (want: (s: Seen, p: string) => boolean): string | undefined => {
      const paths = [...tree].filter(([p, s]) => !p.split('/').some(isAside) && want(s, p)).map(([p]) => p);
      return paths.length ? g.pick(paths) : undefined;
    };
    switch (kind) {
      case 'write': {
        const path = g.chance(0.3) ? pickOf((s) => s.kind === 'file') : undefined;
        const at = path ?? this.randomPath(LEAF_NAMES);
        if (!this.makeParents(root, tree, at)) return done(`${at} (no parent folder: skipped)`);
        const old = tree.get(at);
        if (old?.kind === 'dir') return done(`${at} (a folder: skipped)`);
        if (old?.kind === 'file') effect.destroyed.push(old.content);
        const content = this.versions.next();
        if (old?.kind === 'link' || g.chance(0.3)) {
          // an editor's atomic save: a new inode renamed over the name
          writeFileSync(join(root, `${at}.tmp~`), content);
          renameSync(join(root, `${at}.tmp~`), join(root, at));
        } else writeFileSync(join(root, at), content);
        effect.created.push(content);
        return done(`${at} = ${content}`);
      }
      case 'append': {
        const path = pickOf((s) => s.kind === 'file');
        if (!path) return done('(no file)');
        const before = (tree.get(path) as Seen & { kind: 'file' }).content;
        const extra = `|${this.versions.next()}`;
        appendFileSync(join(root, path), extra);
        effect.destroyed.push(before);
        effect.created.push(before + extra);
        return done(`${path} += ${extra}`);
      }
      case 'truncate': {
        const path = pickOf((s) => s.kind === 'file' && s.size > 1);
        if (!path) return done('(no file)');
        const before = (tree.get(path) as Seen & { kind: 'file' }).content;
        const keep = Math.floor(before.length / 2);
        truncateSync(join(root, path), keep);
        effect.destroyed.push(before);
        effect.created.push(before.slice(0, keep));
        return done(`${path} to ${keep} bytes`);
      }
      case 'deleteFile': {
        const path = pickOf((s) => s.kind !== 'dir');
        if (!path) return done('(nothing)');
        this.remove(root, tree, path, effect);
        return done(path);
      }
      case 'dropConflictCopy': {
        // what a user does after looking at a conflict (keeps the trees from filling up with copies)
        const path = pickOf(
          (_, p) =>
            p.includes('.berth-conflict-') && !p.slice(p.lastIndexOf('.berth-conflict-')).includes('/'),
        );
        if (!path) return done('(no conflict copy)');
        this.remove(root, tree, path, effect);
        return done(path);
      }
      case 'mkdir': {
        const at = this.randomPath(DIR_NAMES);
        if (tree.has(at) || !this.makeParents(root, tree, at)) return done(`${at} (skipped)`);
        mkdirSync(join(root, at));
        return done(at);
      }
      case 'rmrf': {
        const path = pickOf((s) => s.kind === 'dir');
        if (!path) return done('(no folder)');
        this.remove(root, tree, path, effect);
        return done(path);
      }
      case 'rename': {
        const from = pickOf(() => true);
        if (!from) return done('(nothing)');
        const to = this.randomPath(ALL_NAMES);
        if (to === from || to.startsWith(`${from}/`) || from.startsWith(`${to}/`))
          return done(`${from} -> ${to} (into itself: skipped)`);
        if (!this.parentIsDir(tree, to)) return done(`${from} -> ${to} (no parent folder: skipped)`);
        // a link moved up would point out of the tree, which sync rightly refuses to copy
        for (const [p, s] of tree) {
          if (
            s.kind === 'link' &&
            (p === from || p.startsWith(`${from}/`)) &&
            climbsOut(to + p.slice(from.length), s.target)
          )
            return done(`${from} -> ${to} (a link would point out of the tree: skipped)`);
        }
        const there = tree.get(to);
        if (there !== undefined) {
          const src = tree.get(from) as Seen;
          if (there.kind === 'dir' || src.kind === 'dir') this.remove(root, tree, to, effect);
          else if (there.kind === 'file') effect.destroyed.push(there.content);
        }
        renameSync(join(root, from), join(root, to));
        return done(`${from} -> ${to}`);
      }
      case 'chmod': {
        const path = pickOf((s) => s.kind === 'file');
        if (!path) return done('(no file)');
        const mode = (tree.get(path) as Seen & { kind: 'file' }).mode ^ 0o111;
        chmodSync(join(root, path), mode);
        return done(`${path} ${mode.toString(8)}`);
      }
      case 'chmodDir': {
        // modes that shut the owner out too: sync must set them after the folder's content
        const path = pickOf((s) => s.kind === 'dir');
        if (!path) return done('(no folder)');
        const mode = g.pick([0o755, 0o700, 0o750, 0o555]);
        chmodSync(join(root, path), mode);
        return done(`${path} ${mode.toString(8)}`);
      }
      case 'symlink': {
        const at = this.randomPath(LEAF_NAMES);
        if (!this.makeParents(root, tree, at)) return done(`${at} (no parent folder: skipped)`);
        const there = tree.get(at);
        if (there?.kind === 'dir') return done(`${at} (a folder: skipped)`);
        if (there) this.remove(root, tree, at, effect);
        // relative and inside the tree: never more `..` than the link has folders above it
        const up = g.int(at.split('/').length);
        const target = '../'.repeat(up) + (g.chance(0.3) ? `${g.pick(DIR_NAMES)}/` : '') + g.pick(LEAF_NAMES);
        symlinkSync(target, join(root, at));
        return done(`${at} -> ${target}`);
      }
      case 'fileToDir': {
        const path = pickOf((s) => s.kind === 'file');
        if (!path) return done('(no file)');
        this.remove(root, tree, path, effect);
        mkdirSync(join(root, path));
        if (g.chance(0.6)) {
          const inner = `${path}/${g.pick(LEAF_NAMES)}`;
          const content = this.versions.next();
          writeFileSync(join(root, inner), content);
          effect.created.push(content);
          return done(`${path} (with ${inner} = ${content})`);
        }
        return done(path);
      }
      case 'dirToFile': {
        const path = pickOf((s) => s.kind === 'dir');
        if (!path) return done('(no folder)');
        this.remove(root, tree, path, effect);
        const content = this.versions.next();
        writeFileSync(join(root, path), content);
        effect.created.push(content);
        return done(`${path} = ${content}`);
      }
    }
  }

  /** Writes one new top-level file (how the fuzz ends a root-emptied halt). */
  refill(root: string, side: string): UserEffect {
    const tree = walkSide(root, true);
    const name = LEAF_NAMES.find((n) => !tree.has(n)) ?? LEAF_NAMES[0]!;
    const effect: UserEffect = { what: '', destroyed: [], created: [] };
    const there = tree.get(name);
    if (there) this.remove(root, tree, name, effect);
    const content = this.versions.next();
    writeFileSync(join(root, name), content);
    effect.created.push(content);
    effect.what = `${side}: refill ${name} = ${content}`;
    return effect;
  }

  /** A path in the name space: up to two folders, then a name from `leaves`. */
  private randomPath(leaves: readonly string[]): string {
    const depth = this.rng.int(3);
    const parts: string[] = [];
    for (let i = 0; i < depth; i++) parts.push(this.rng.pick(DIR_NAMES));
    parts.push(this.rng.pick(leaves));
    return parts.join('/');
  }

  /** mkdir -p of the folders above `path`; false (nothing made) when one of them is not a folder. */
  private makeParents(root: string, tree: Map<string, Seen>, path: string): boolean {
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const above = tree.get(parts.slice(0, i).join('/'));
      if (above !== undefined && above.kind !== 'dir') return false;
    }
    for (let i = 1; i <= parts.length; i++) {
      const at = parts.slice(0, i).join('/');
      if (tree.has(at)) continue;
      mkdirSync(join(root, at));
      tree.set(at, { kind: 'dir', mode: 0o755 });
    }
    return true;
  }

  private parentIsDir(tree: Map<string, Seen>, path: string): boolean {
    const slash = path.lastIndexOf('/');
    return slash < 0 || tree.get(path.slice(0, slash))?.kind === 'dir';
  }

  /** rm -rf of one path, noting every file content it takes out. */
  private remove(root: string, tree: Map<string, Seen>, path: string, effect: UserEffect): void {
    for (const [p, s] of tree) {
      if ((p === path || p.startsWith(`${path}/`)) && s.kind === 'file') effect.destroyed.push(s.content);
    }
    const top = tree.get(path);
    if (top?.kind === 'dir') rmSync(join(root, path), { recursive: true, force: true });
    else unlinkSync(join(root, path));
  }
}

/** Whether a relative link at `path` with `target` names something above the root. */
function climbsOut(path: string, target: string): boolean {
  let depth = path.split('/').length - 1;
  for (const part of target.split('/')) {
    if (part === '..') depth--;
    else if (part !== '.' && part !== '') depth++;
    if (depth < 0) return true;
  }
  return false;
}

function isAside(name: string): boolean {
  return name.startsWith('.berth-aside-');
}
