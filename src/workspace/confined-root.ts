import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../errors.js';
import {
  at,
  closeFolders,
  fdPath,
  lstatAt,
  openFolderAt,
  walkComponents,
  type Walk,
} from './link-resolution.js';
import { isGitName } from './byte-path.js';
import { WorkspacePlacement } from './placement.js';
import { openReadable, readAll } from './confined-open.js';
import { displayPath, pathComponents, refused } from './relative-path.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

// where they always were, for the modules that import them from here
export { at, fdPath, lstatAt };

export interface Owner {
  uid: number;
  gid: number;
}

/** An open directory inside the root; `components` says where. The caller closes `fd`. */
export interface DirHandle {
  fd: number;
  components: string[];
}

/**
 * A project folder that every read and write is confined to. Paths are resolved the way the
 * kernel resolves them (`walkComponents` in link-resolution.ts): symbolic links are followed
 * only while they stay inside the root (relative links, or absolute ones under /workspace as
 * seen in the container); links to anywhere else, loops, anything through `.git`, and
 * hard-linked write targets are refused. Error messages name project-relative paths only.
 */
/** Every container berth makes mounts a workspace at the same place. */
const DEFAULT_LINK_ROOT = WorkspacePlacement.bind('/').rootComponents();

export class ConfinedRoot {
  private rootOwner?: Owner;

  /**
   * `linkRoot` is the root as the container sees it, as components: an absolute link target
   * under it stays inside. It comes from the workspace's placement (placement.ts).
   */
  constructor(
    private readonly root: string,
    readonly linkRoot: readonly string[] = DEFAULT_LINK_ROOT,
  ) {}

  /** Who owns the root; files the hub creates are handed to them (when the hub runs as root). */
  owner(): Owner {
    if (!this.rootOwner) {
      const fd = this.openRoot();
      try {
        const st = fs.fstatSync(fd);
        this.rootOwner = { uid: st.uid, gid: st.gid };
      } finally {
        fs.closeSync(fd);
      }
    }
    return this.rootOwner;
  }

  /** An fd of the root folder itself; the caller closes it. */
  openRoot(): number {
    try {
      return fs.openSync(this.root, O_RDONLY | O_DIRECTORY);
    } catch {
      throw new BerthError(
        'NOT_FOUND',
        'the project folder is missing on the host; ask the user to restore it',
      );
    }
  }

  /** Opens the folder at `components`, following in-root links; `create` makes missing folders. */
  openDir(components: string[], create = false): DirHandle {
    const walk = walkComponents(this.openRoot(), components, {
      followFinal: true,
      shown: displayPath(components),
      linkRoot: this.linkRoot,
    });
    try {
      if (walk.leaf !== undefined) this.descend(walk, walk.leaf);
      this.descendMissing(walk, walk.missing, create);
      return takeLast(walk);
    } catch (err) {
      closeFolders(walk.folders);
      throw err;
    }
  }

  /**
   * Resolves `components` to (parent folder, final name). With `followFinal`, a final symlink
   * is followed (inside the root only) until a non-link is reached; without it, the link itself
   * is the target, so writes replace links instead of writing through them.
   */
  locate(
    components: string[],
    followFinal: boolean,
    createParents = false,
  ): { dir: DirHandle; name: string } {
    if (components.length === 0)
      throw new BerthError('IS_A_FOLDER', 'that path is the project folder itself');
    const walk = walkComponents(this.openRoot(), components, {
      followFinal,
      shown: displayPath(components),
      linkRoot: this.linkRoot,
    });
    try {
      let name: string;
      if (walk.missing.length > 0) {
        this.descendMissing(walk, walk.missing.slice(0, -1), createParents);
        name = walk.missing[walk.missing.length - 1]!;
      } else if (walk.leaf !== undefined) {
        name = walk.leaf;
      } else {
        // ended on a folder (a link to `.`, `..`, /workspace): its parent holds it
        if (walk.folders.length === 1)
          throw new BerthError('IS_A_FOLDER', 'that path is the project folder itself');
        const top = walk.folders.pop()!;
        fs.closeSync(top.fd);
        name = top.name;
      }
      return { dir: takeLast(walk), name };
    } catch (err) {
      closeFolders(walk.folders);
      throw err;
    }
  }

  /** Opens the existing folder `name` below the walk's last folder. */
  private descend(walk: Walk, name: string): void {
    const parent = walk.folders[walk.folders.length - 1]!;
    const components = [...walk.folders.slice(1).map((f) => f.name), name];
    const st = lstatAt(parent.fd, name);
    if (st && !st.isDirectory() && !st.isSymbolicLink())
      throw new BerthError('NOT_A_FOLDER', `"${displayPath(components)}" is a file, not a folder`);
    walk.folders.push({ name, fd: openFolderAt(parent.fd, name, components) });
  }

  /** Goes down through names that did not exist when the walk looked: made when `create`. */
  private descendMissing(walk: Walk, names: string[], create: boolean): void {
    for (const name of names) {
      const parent = walk.folders[walk.folders.length - 1]!;
      if (!create) {
        const components = [...walk.folders.slice(1).map((f) => f.name), name];
        throw new BerthError('NOT_FOUND', `"${displayPath(components)}" does not exist`);
      }
      this.makeDir(parent.fd, name);
      this.descend(walk, name);
    }
  }

  /** Reads a regular file (following in-root links) with a size cap. */
  readFile(path: string, maxBytes: number): Buffer {
    const { fd, size } = openReadable(this, path);
    try {
      if (size > maxBytes) {
        throw new BerthError(
          'TOO_LARGE',
          `"${path}" is ${size} bytes, over the ${maxBytes}-byte limit; read part of it with offset and limit, or its end with tail, or use search_files`,
        );
      }
      return readAll(fd, size, maxBytes, path);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Writes through a temp file and rename, in the target's own folder: readers never see half a
   * file, and an existing link at the target is replaced, never followed. A file with other
   * hard links is refused: one of them may be outside the project.
   */
  writeFile(path: string, data: Buffer, mode?: number): { created: boolean } {
    const components = pathComponents(path);
    const { dir, name } = this.locate(components, false, true);
    try {
      const existing = lstatAt(dir.fd, name);
      if (existing?.isDirectory())
        throw new BerthError('IS_A_FOLDER', `"${path}" is a folder; give a file path`);
      if (existing?.isFile() && existing.nlink > 1) {
        throw refused(path, 'has other hard links, possibly outside the project; berth will not write to it');
      }
      const keep = existing?.isFile() ? existing : undefined;
      const tmp = `.berth-${randomBytes(6).toString('hex')}.tmp`;
      const fd = fs.openSync(
        at(dir.fd, tmp),
        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
        mode ?? (keep ? keep.mode & 0o7777 : 0o644),
      );
      try {
        try {
          fs.writeSync(fd, data);
          this.handOver(fd, keep ?? undefined);
        } finally {
          fs.closeSync(fd);
        }
        fs.renameSync(at(dir.fd, tmp), at(dir.fd, name));
      } catch (err) {
        fs.rmSync(at(dir.fd, tmp), { force: true });
        throw err;
      }
      return { created: existing === undefined };
    } finally {
      fs.closeSync(dir.fd);
    }
  }

  /** The target of a link at `path` (not followed), or undefined when it is not a link. */
  readLinkAt(path: string): string | undefined {
    const { dir, name } = this.locate(pathComponents(path), false);
    try {
      const st = lstatAt(dir.fd, name);
      if (!st) throw new BerthError('NOT_FOUND', `"${path}" does not exist`);
      return st.isSymbolicLink() ? fs.readlinkSync(at(dir.fd, name)) : undefined;
    } finally {
      fs.closeSync(dir.fd);
    }
  }

  /** Puts a link at `path` (replacing what is there, atomically). The caller vets the target. */
  writeLink(path: string, target: string): void {
    const { dir, name } = this.locate(pathComponents(path), false, true);
    try {
      if (lstatAt(dir.fd, name)?.isDirectory()) throw new BerthError('IS_A_FOLDER', `"${path}" is a folder`);
      const tmp = `.berth-${randomBytes(6).toString('hex')}.tmp`;
      fs.symlinkSync(target, at(dir.fd, tmp));
      try {
        fs.renameSync(at(dir.fd, tmp), at(dir.fd, name));
      } catch (err) {
        fs.rmSync(at(dir.fd, tmp), { force: true });
        throw err;
      }
    } finally {
      fs.closeSync(dir.fd);
    }
  }

  /** Removes a file, link or whole folder tree without ever following a link. */
  remove(path: string): { kind: 'file' | 'folder' | 'symlink' | 'other' } {
    const components = pathComponents(path);
    if (components.length === 0)
      throw refused(path, 'is the project folder itself; berth will not delete it');
    const { dir, name } = this.locate(components, false);
    try {
      const st = lstatAt(dir.fd, name);
      if (!st) throw new BerthError('NOT_FOUND', `"${path}" does not exist`);
      if (st.isDirectory() && holdsGit(dir.fd, name))
        throw refused(path, 'holds a git repository (.git); berth will not delete it');
      removeTree(dir.fd, name);
      return {
        kind: st.isDirectory() ? 'folder' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other',
      };
    } finally {
      fs.closeSync(dir.fd);
    }
  }

  /** Renames within the project; refuses to overwrite anything. */
  move(from: string, to: string): void {
    const src = pathComponents(from);
    const dst = pathComponents(to);
    if (src.length === 0) throw refused(from, 'is the project folder itself; berth will not move it');
    if (dst.length === 0) throw refused(to, 'is the project folder itself; give a new path for the entry');
    const a = this.locate(src, false);
    try {
      if (!lstatAt(a.dir.fd, a.name)) throw new BerthError('NOT_FOUND', `"${from}" does not exist`);
      const b = this.locate(dst, false, true);
      try {
        if (lstatAt(b.dir.fd, b.name)) {
          throw new BerthError(
            'ALREADY_EXISTS',
            `"${to}" already exists; delete it first or pick another name`,
          );
        }
        try {
          fs.renameSync(at(a.dir.fd, a.name), at(b.dir.fd, b.name));
        } catch (err) {
          if (errnoOf(err) === 'EINVAL')
            throw refused(to, `is inside "${from}"; a folder cannot move into itself`);
          throw err;
        }
      } finally {
        fs.closeSync(b.dir.fd);
      }
    } finally {
      fs.closeSync(a.dir.fd);
    }
  }

  private makeDir(parentFd: number, name: string): void {
    try {
      fs.mkdirSync(at(parentFd, name), 0o755);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
      return;
    }
    const fd = fs.openSync(at(parentFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      this.handOver(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Gives a new inode to the previous file's owner, or the root's, when the hub runs as root. */
  private handOver(fd: number, previous?: fs.Stats): void {
    if (process.geteuid?.() !== 0) return;
    const owner = previous ? { uid: previous.uid, gid: previous.gid } : this.owner();
    fs.fchownSync(fd, owner.uid, owner.gid);
  }
}

/** The walk's last folder as a handle; the folders above it are closed. */
function takeLast(walk: Walk): DirHandle {
  const components = walk.folders.slice(1).map((f) => f.name);
  const top = walk.folders.pop()!;
  closeFolders(walk.folders);
  return { fd: top.fd, components };
}

function removeTree(dirFd: number, name: string): void {
  let child: number;
  try {
    child = fs.openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    const code = errnoOf(err);
    // not a folder (or a link to one): remove the entry itself
    if (code === 'ENOTDIR' || code === 'ELOOP') return fs.unlinkSync(at(dirFd, name));
    throw err;
  }
  try {
    const entries = fs.readdirSync(fdPath(child));
    // checked before anything is removed (holdsGit); this is for one planted since
    if (entries.some(isGitName))
      throw new BerthError('PATH_REFUSED', 'a .git folder appeared while deleting');
    for (const entry of entries) removeTree(child, entry);
  } finally {
    fs.closeSync(child);
  }
  fs.rmdirSync(at(dirFd, name));
}

/** Whether the folder (dirFd, name) has a `.git` anywhere inside, links not followed. */
function holdsGit(dirFd: number, name: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    return fs
      .readdirSync(fdPath(fd), { withFileTypes: true })
      .some((e) => isGitName(e.name) || (e.isDirectory() && holdsGit(fd, e.name)));
  } finally {
    fs.closeSync(fd);
  }
}
