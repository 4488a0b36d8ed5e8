import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../errors.js';
import { isUtf8 } from 'node:buffer';
import { isGitName } from './byte-path.js';
import { listNames } from './fd-dir.js';
import { escapeLookAlikes } from './name-display.js';
import type { ConfinedRoot } from './confined-root.js';
import { displayPath, refused } from './relative-path.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/** As many links as the kernel follows in one path lookup before it gives up with ELOOP. */
const MAX_SYMLINK_HOPS = 40;

/**
 * `/proc/self/fd/<dir>/<name>` names `name` inside the directory the fd holds, wherever that
 * directory is now: Linux's openat() through a path. Every operation goes through a directory
 * fd that was reached one component at a time with O_NOFOLLOW, so nothing swapped into the
 * tree after a check can redirect it.
 */
export function at(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

export function lstatAt(dirFd: number, name: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(at(dirFd, name));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** An open folder reached by the walk; `name` is '' for the root. */
export interface WalkFolder {
  name: string;
  fd: number;
}

/**
 * Where a walk ended. `folders` are open, from the root (`folders[0]`) down, each opened with
 * O_NOFOLLOW through the one before it; the caller closes them (`closeFolders`). Below them come
 * either `leaf`, the last component, which exists and was looked at but not opened (a file, a
 * folder, or a link that was not to be followed), or `missing`: names that do not exist yet,
 * taken as text (never `..`, never `.git`).
 */
export interface Walk {
  folders: WalkFolder[];
  leaf?: string;
  missing: string[];
}

/** One component still to resolve, and the link whose target it came from (for messages). */
interface Pending {
  name: string;
  via?: string[];
}

export interface WalkOptions {
  /** Follow a link that is the very last component (reads); otherwise it is the leaf itself. */
  followFinal: boolean;
  /** The path as the caller gave it, for messages. */
  shown: string;
  /**
   * The root as the container sees it, as components (['workspace']): links made in the
   * container point there, so an absolute target under it stays inside (see placement.ts).
   */
  linkRoot: readonly string[];
}

/**
 * Resolves `components` against the real tree below the root the way the kernel would, and
 * refuses anything that would leave the root or touch `.git`:
 *
 * - components are taken left to right with a stack of the physical folders reached so far;
 * - a name that is a symbolic link (lstat through its folder's fd) has its target spliced in
 *   front of the remaining components; an absolute target restarts at the root when it is
 *   `/workspace` or below (the container's view of the root) and is outside otherwise;
 * - `..` pops the physical stack (popping the root itself: outside); `.` and empty are skipped;
 * - at most MAX_SYMLINK_HOPS links (more: refused as a loop);
 * - a name that does not exist ends the physical walk: the rest is taken as text, and a `..`
 *   in it is refused, since where it leads cannot be known;
 * - any name `.git` (any case) on the way, as a folder, file, link or missing name, is refused;
 * - a name the caller gave (not one from a link's target: the kernel would not do this) that does
 *   not exist exactly is taken as the one entry of its folder with the same NFC form (`café`
 *   asked, `cafe` + U+0301 stored); several such entries are an ambiguity error naming them.
 *
 * Takes ownership of `rootFd` (it becomes `folders[0]`, and is closed if the walk throws).
 * Errors are BerthErrors naming project-relative paths only.
 */
export function walkComponents(rootFd: number, components: string[], options: WalkOptions): Walk {
  return walkPending(
    [{ name: '', fd: rootFd }],
    components.map((name) => ({ name })),
    options,
  );
}

/** The walk from open `folders` (root first; taken over) through the `start` components. */
function walkPending(folders: WalkFolder[], start: Pending[], options: WalkOptions): Walk {
  const pending = [...start].reverse(); // a stack: the next component is at the end
  const here = (name: string) => [...folders.slice(1).map((f) => f.name), name];
  let hops = 0;
  try {
    while (pending.length > 0) {
      const next = pending.pop()!;
      const via = next.via;
      let name = next.name;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (folders.length === 1) throw leaves(options.shown, via);
        fs.closeSync(folders.pop()!.fd);
        continue;
      }
      if (isGitName(name)) throw intoGit(options.shown, via);
      const dirFd = folders[folders.length - 1]!.fd;
      const last = pending.length === 0;
      // on the way down, open first: a folder (the common case) costs one call, not two
      const look = (n: string) => (last ? lookAt(dirFd, n, here(n)) : enterOrLook(dirFd, n, here(n)));
      let seen = look(name);
      if (seen === 'missing' && via === undefined) {
        const twin = normalisedTwin(dirFd, name, here(name));
        if (twin !== undefined) {
          if (isGitName(twin)) throw intoGit(options.shown, via);
          name = twin;
          seen = look(name);
        }
      }
      if (typeof seen === 'number') {
        folders.push({ name, fd: seen });
        continue;
      }
      if (seen === 'missing') return { folders, missing: textTail(name, pending, options.shown) };
      if (seen === 'link' && (!last || options.followFinal)) {
        const link = here(name);
        if (++hops > MAX_SYMLINK_HOPS)
          throw refused(displayPath(link), 'goes through too many symbolic links (a loop?)');
        const target = readLinkOrRefuse(dirFd, name, link);
        let parts = target.split('/');
        if (target.startsWith('/')) {
          parts = containerRelative(target, options.linkRoot) ?? throwOutside(link);
          while (folders.length > 1) fs.closeSync(folders.pop()!.fd);
        }
        for (let i = parts.length - 1; i >= 0; i--) pending.push({ name: parts[i]!, via: link });
        continue;
      }
      if (last) return { folders, leaf: name, missing: [] };
      throw new BerthError('NOT_A_FOLDER', `"${displayPath(here(name))}" is a file, not a folder`);
    }
    return { folders, missing: [] };
  } catch (err) {
    closeFolders(folders);
    throw err;
  }
}

export function closeFolders(folders: WalkFolder[]): void {
  for (const folder of folders.splice(0)) fs.closeSync(folder.fd);
}

/**
 * Opens an existing folder `name` in `dirFd` without following a link. It was just seen as a
 * folder, so a link, file or nothing there now means the tree changed under the walk.
 */
export function openFolderAt(dirFd: number, name: string, components: string[]): number {
  try {
    return fs.openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') throw changed(components);
    throw notAccessible(code, components);
  }
}

/**
 * Would a symbolic link at `linkComponents` (the link's own path, root-relative; a relative
 * target starts in its parent folder, wherever the links on the way to that folder lead) with
 * `target` resolve inside the root? Judged against the tree as it is now, with the rules of
 * `walkComponents`, following the target to its end (a target that is itself a link is
 * followed too):
 *
 * - inside, with the physical components it resolves to (`[]` is the root itself), when every
 *   step stays inside; a dangling target is inside when the part that does not exist yet has
 *   no `..`;
 * - not inside, with a sentence saying why (project-relative paths only), when it leaves the
 *   root (a `..` above it, an absolute target other than `/workspace/...`), loops, goes
 *   through `.git` (or the link itself is in or named `.git`), climbs with `..` out of a
 *   folder that does not exist, or goes through a file.
 *
 * Call it right before and right after putting a link in place: the tree can change between.
 */
export function linkTargetInside(
  root: ConfinedRoot,
  linkComponents: string[],
  target: string,
): { inside: true; resolved: string[] } | { inside: false; why: string } {
  const shown = displayPath(linkComponents);
  if (linkComponents.length === 0)
    return { inside: false, why: 'a link cannot be the project folder itself' };
  if (target === '' || target.includes('\0'))
    return { inside: false, why: `path "${shown}" is a symbolic link with an invalid target` };
  try {
    if (linkComponents.some(isGitName)) throw intoGit(shown, undefined);
    const options = { followFinal: true, shown, linkRoot: root.linkRoot };
    const asTarget = (name: string): Pending => ({ name, via: linkComponents });
    if (target.startsWith('/')) {
      const rest = containerRelative(target, root.linkRoot) ?? throwOutside(linkComponents);
      return { inside: true, resolved: physical(walkComponentsOf(root, rest.map(asTarget), options)) };
    }
    // the link's folder: where its parent path leads now (the trailing "." makes it a folder),
    // plus the folders that writing the link will make
    const parent = walkComponentsOf(
      root,
      [...linkComponents.slice(0, -1), '.'].map((name) => ({ name })),
      options,
    );
    const toMake = parent.missing;
    const parts = target.split('/').map(asTarget);
    try {
      while (toMake.length > 0 && parts.length > 0) {
        const { name } = parts.shift()!;
        if (name === '' || name === '.') continue;
        if (name === '..') {
          toMake.pop();
          continue;
        }
        if (isGitName(name)) throw intoGit(shown, linkComponents);
        // a name inside a folder still to be made: the rest is text
        toMake.push(...textTail(name, parts.reverse(), shown));
        break;
      }
    } catch (err) {
      closeFolders(parent.folders);
      throw err;
    }
    if (toMake.length > 0) return { inside: true, resolved: physical(parent) };
    return { inside: true, resolved: physical(walkPending(parent.folders, parts, options)) };
  } catch (err) {
    if (err instanceof BerthError) return { inside: false, why: err.message };
    throw err;
  }
}

function walkComponentsOf(root: ConfinedRoot, start: Pending[], options: WalkOptions): Walk {
  return walkPending([{ name: '', fd: root.openRoot() }], start, options);
}

/** The components a walk reached, and closes its folders. */
function physical(walk: Walk): string[] {
  const out = [
    ...walk.folders.slice(1).map((f) => f.name),
    ...(walk.leaf === undefined ? [] : [walk.leaf]),
    ...walk.missing,
  ];
  closeFolders(walk.folders);
  return out;
}

/** `/workspace/a/b` → ['a', 'b']; undefined for any absolute target not under the link root. */
function containerRelative(target: string, linkRoot: readonly string[]): string[] | undefined {
  const parts = target.split('/');
  let i = 0;
  for (const name of linkRoot) {
    while (i < parts.length && (parts[i] === '' || parts[i] === '.')) i++;
    if (parts[i] !== name) return undefined;
    i++;
  }
  return parts.slice(i);
}

/** What is left once a name is missing: plain names only, since a `..` there cannot be judged. */
function textTail(missing: string, pending: Pending[], shown: string): string[] {
  const out = [missing];
  for (let i = pending.length - 1; i >= 0; i--) {
    const part = pending[i]!;
    if (part.name === '' || part.name === '.') continue;
    if (part.name === '..') {
      const why = 'climbs with ".." out of a folder that does not exist; berth cannot tell where that leads';
      throw part.via ? refused(displayPath(part.via), `is a symbolic link that ${why}`) : refused(shown, why);
    }
    if (isGitName(part.name)) throw intoGit(shown, part.via);
    out.push(part.name);
  }
  return out;
}

type Seen = 'missing' | 'link' | 'folder' | 'other';

/** What `name` in `dirFd` is, by lstat: nothing is opened. */
function lookAt(dirFd: number, name: string, components: string[]): Seen {
  let st: fs.Stats | undefined;
  try {
    st = lstatAt(dirFd, name);
  } catch (err) {
    throw notAccessible(errnoOf(err), components);
  }
  if (!st) return 'missing';
  return st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'folder' : 'other';
}

/** Opens `name` as a folder without following a link (an fd), or says what it is instead. */
function enterOrLook(dirFd: number, name: string, components: string[]): number | Seen {
  try {
    return fs.openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return 'missing';
    if (code !== 'ELOOP' && code !== 'ENOTDIR') throw notAccessible(code, components);
    const seen = lookAt(dirFd, name, components);
    // a folder now, though the open said otherwise: it changed in between
    if (seen === 'folder' || seen === 'missing') throw changed(components);
    return seen;
  }
}

/**
 * The one entry of the folder whose name has the same NFC form as `name` (which does not exist
 * exactly), undefined when there is none; several are an ambiguity error that names them
 * distinguishably.
 */
function normalisedTwin(dirFd: number, name: string, components: string[]): string | undefined {
  const wanted = name.normalize('NFC');
  let names: Buffer[];
  try {
    names = listNames(dirFd);
  } catch (err) {
    throw notAccessible(errnoOf(err), components);
  }
  const twins = names
    .filter((bytes) => isUtf8(bytes))
    .map((bytes) => bytes.toString('utf8'))
    .filter((text) => text !== name && text.normalize('NFC') === wanted);
  if (twins.length <= 1) return twins[0];
  const shown = twins.map((t) => `"${escapeLookAlikes(t)}"`).join(', ');
  throw new BerthError(
    'INVALID_ARGUMENT',
    `"${displayPath(components)}" does not exist as written, and ${twins.length} names differ from it only in Unicode normalisation: ${shown}; give one of them exactly (the \\u escapes are JSON string escapes)`,
    { choices: twins },
  );
}

function readLinkOrRefuse(dirFd: number, name: string, link: string[]): string {
  try {
    return fs.readlinkSync(at(dirFd, name));
  } catch {
    // replaced or removed since it was seen as a link
    throw changed(link);
  }
}

function leaves(shown: string, via: string[] | undefined): BerthError {
  return via
    ? refused(displayPath(via), 'is a symbolic link to a place outside the project')
    : refused(shown, 'leaves the project; give a path inside the project root');
}

function throwOutside(link: string[]): never {
  throw refused(displayPath(link), 'is a symbolic link to a place outside the project');
}

function intoGit(shown: string, via: string[] | undefined): BerthError {
  const through = via && displayPath(via) !== shown ? ` through the link "${displayPath(via)}"` : '';
  return refused(
    shown,
    `reaches into .git${through}; berth's file tools do not read or change git's own files`,
  );
}

function changed(components: string[]): BerthError {
  return refused(displayPath(components), 'changed while being opened; try again');
}

function notAccessible(code: string | undefined, components: string[]): BerthError {
  const shown = displayPath(components);
  if (code === 'EACCES' || code === 'EPERM')
    return new BerthError('PATH_REFUSED', `"${shown}" is not accessible`);
  return new BerthError('PATH_REFUSED', `"${shown}" cannot be opened (${code ?? 'unknown error'})`);
}
