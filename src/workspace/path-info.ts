import * as fs from 'node:fs';
import { BerthError } from '../errors.js';
import type { ConfinedRoot } from './confined-root.js';
import { kindOf, type EntryKind } from './fd-dir.js';
import { at, linkTargetInside, lstatAt } from './link-resolution.js';
import { displayPath, pathComponents } from './relative-path.js';

export interface PathInfo {
  /** Where the entry really is (links on the way resolved), project-relative; '.' for the root. */
  realPath: string;
  type: EntryKind;
  size: number;
  /** Permission bits as an octal string, like "0644". */
  mode: string;
  links: number;
  uid: number;
  gid: number;
  mtime: string;
  ctime: string;
  atime: string;
  /** For a link (which is not followed): its target as written, and whether it stays inside. */
  link?: { target: string; inside: true; resolved: string } | { target: string; inside: false; why: string };
}

/**
 * What is at `path`, by lstat through the confined walk: links on the way are followed inside
 * the project, a final link is described, not followed.
 */
export function pathInfo(root: ConfinedRoot, path: string): PathInfo {
  const components = pathComponents(path);
  if (components.length === 0) {
    const fd = root.openRoot();
    try {
      return describe('.', fs.fstatSync(fd));
    } finally {
      fs.closeSync(fd);
    }
  }
  const { dir, name } = root.locate(components, false);
  try {
    const st = lstatAt(dir.fd, name);
    if (!st) throw new BerthError('NOT_FOUND', `"${path}" does not exist`);
    const physical = [...dir.components, name];
    const info = describe(displayPath(physical), st);
    if (st.isSymbolicLink()) {
      const target = fs.readlinkSync(at(dir.fd, name));
      const judged = linkTargetInside(root, physical, target);
      info.link = judged.inside
        ? { target, inside: true, resolved: displayPath(judged.resolved) }
        : { target, inside: false, why: judged.why };
    }
    return info;
  } finally {
    fs.closeSync(dir.fd);
  }
}

function describe(realPath: string, st: fs.Stats): PathInfo {
  return {
    realPath,
    type: kindOf(st),
    size: st.size,
    mode: `0${(st.mode & 0o7777).toString(8).padStart(3, '0')}`,
    links: st.nlink,
    uid: st.uid,
    gid: st.gid,
    mtime: st.mtime.toISOString(),
    ctime: st.ctime.toISOString(),
    atime: st.atime.toISOString(),
  };
}
