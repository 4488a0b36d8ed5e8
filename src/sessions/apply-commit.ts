import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import { errnoOf } from '../errors.js';
import { ConfinedRoot } from '../workspace/confined-root.js';
import { inDir, listNames, lstatIn, openChildDir } from '../workspace/fd-dir.js';
import { linkTargetInside } from '../workspace/link-resolution.js';
import { asideName, putAsideBack, tmpName } from './apply-journal.js';
import { openParent, type Action, type Plan } from './apply-plan.js';
import type { BlobStream, HashAlgo } from './blob-stream.js';
import { readHostEntry, sameEntry, type SideEntry } from './host-entry.js';
import type { ApplyTrash } from './trash.js';

const LINK_MAX = 4096;
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

export interface CommitReport {
  written: string[];
  deleted: string[];
  /** Changed on both sides: the host file was kept; the session's version is beside it. */
  conflicts: { path: string; sessionCopy: string | null; why: string }[];
  /** Links that would point outside the project: not applied. */
  refused: { path: string; why: string }[];
  /** Paths the apply could not carry out (nested repositories, special files, errors), each with why. */
  skipped: { path: string; why: string }[];
  folders: { created: string[]; removed: string[] };
}

export interface CommitContext {
  hostPath: string;
  rootFd: number;
  applyId: string;
  sessionId: string;
  algo: HashAlgo;
  blobs: BlobStream;
  trash: ApplyTrash;
  /** Called right before a host entry is set aside (tests use it to race the apply). */
  beforeReplace?: (path: string) => void | Promise<void>;
}

type Numbered = Action & { n: number };

/**
 * Carries out a plan. Deletions first, then emptied folders, then files (and folders the
 * session turned into files), then new empty folders and mode changes, then links; every link
 * written is judged again at the end. Each replace re-checks the host entry right before: the
 * new content goes to a temp file in the target folder, the host entry is renamed aside and
 * compared with what the plan saw; only then is the new entry linked into place (never over
 * anything that appeared meanwhile) and the aside moved to the trash. On a mismatch the aside
 * goes back and the path becomes a conflict. One path failing never stops the rest.
 */
export async function commitPlan(
  ctx: CommitContext,
  plan: Plan,
  numbered: Numbered[],
): Promise<CommitReport> {
  const report: CommitReport = {
    written: [],
    deleted: [],
    conflicts: [...plan.conflicts],
    refused: [],
    skipped: [...plan.skipped],
    folders: { created: [], removed: [] },
  };
  const phase = (a: Numbered): number => {
    if (a.op === 'delete') return 0;
    if (a.op === 'rmdir') return 1;
    if ((a.op === 'write' || a.op === 'copy') && a.head.kind === 'file') return 2;
    if (a.op === 'mkdir' || a.op === 'chmod') return 3;
    return 4;
  };
  const ordered = [...numbered].sort((a, b) => phase(a) - phase(b));
  const links: Numbered[] = [];
  for (const action of ordered) {
    try {
      await commitOne(ctx, action, report, links);
    } catch (err) {
      report.skipped.push({
        path: action.shown,
        why: `not applied: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  recheckLinks(ctx, links, report);
  return report;
}

async function commitOne(
  ctx: CommitContext,
  a: Numbered,
  report: CommitReport,
  links: Numbered[],
): Promise<void> {
  const name = a.parts.at(-1)!;
  if (a.op === 'mkdir' || a.op === 'rmdir') return folderOp(ctx, a, report);
  if ((a.op === 'write' || a.op === 'copy') && a.head.kind === 'link') {
    const refusal = linkRefusal(ctx, a.parts, await ctx.blobs.small(a.head.id, LINK_MAX));
    if (refusal) {
      report.refused.push({ path: a.shown, why: refusal });
      report.conflicts = report.conflicts.filter((c) => c.path !== a.shown);
      return;
    }
  }
  const parent = openParent(ctx.rootFd, a.parts, a.op === 'write' || a.op === 'copy' ? 0o755 : undefined);
  if (!('fd' in parent)) {
    if ('blocked' in parent)
      conflict(
        report,
        a.shown,
        null,
        `"${parent.blocked}" became a link or a file on the host; not followed`,
      );
    else if (a.op === 'delete') report.deleted.push(a.shown); // already gone with its folder
    return;
  }
  const dirFd = parent.fd;
  try {
    if (a.op === 'chmod') return chmodOne(ctx, a, dirFd, name, report);
    if (a.op === 'delete') {
      await ctx.beforeReplace?.(a.shown);
      const aside = asideName(ctx.applyId, a.n);
      if (!setAside(dirFd, name, aside)) return void report.deleted.push(a.shown);
      if (!asideIs(dirFd, aside, a.expect, ctx.algo)) {
        putBackOrKeep(dirFd, aside, name);
        return conflict(report, a.shown, null, 'deleted in the session, changed on the host');
      }
      ctx.trash.take(dirFd, aside, a.path);
      report.deleted.push(a.shown);
      return;
    }
    const tmp = tmpName(ctx.applyId, a.n);
    const fd = await writeTemp(ctx, a.head, dirFd, tmp);
    try {
      if (a.op === 'copy') {
        const as = Buffer.concat([name, Buffer.from(`.berth-session-${ctx.sessionId}`)]);
        if (fd !== undefined) fs.fchmodSync(fd, 0o600);
        fs.renameSync(inDir(dirFd, tmp), inDir(dirFd, as));
        return;
      }
      await ctx.beforeReplace?.(a.shown);
      const aside = asideName(ctx.applyId, a.n);
      const hadOne = a.expect !== undefined && setAside(dirFd, name, aside);
      if (a.expect !== undefined && (!hadOne || !asideIs(dirFd, aside, a.expect, ctx.algo))) {
        if (hadOne) putBackOrKeep(dirFd, aside, name);
        return saveBeside(
          ctx,
          report,
          dirFd,
          tmp,
          name,
          a.shown,
          hadOne ? 'changed on the host and in the session' : 'deleted on the host, changed in the session',
        );
      }
      if (fd !== undefined) {
        const asideMode = hadOne ? lstatIn(dirFd, aside)?.mode : undefined;
        // (the data was fsynced when it was written; the mode goes with the link's metadata)
        fs.fchmodSync(
          fd,
          a.mode(asideMode === undefined || a.expect?.kind !== 'file' ? undefined : asideMode) & 0o777,
        );
      }
      if (!linkInto(dirFd, tmp, name)) {
        // something appeared at the path meanwhile: it is the host's; ours goes beside it
        if (hadOne) ctx.trash.take(dirFd, aside, a.path);
        return saveBeside(
          ctx,
          report,
          dirFd,
          tmp,
          name,
          a.shown,
          'created on the host while the session version was applied',
        );
      }
      unlinkQuiet(dirFd, tmp);
      if (hadOne) ctx.trash.take(dirFd, aside, a.path);
      report.written.push(a.shown);
      if (a.head.kind === 'link') links.push(a);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
      unlinkQuiet(dirFd, tmp);
    }
  } finally {
    fs.closeSync(dirFd);
  }
}

/** The session's blob into a new temp file (kept open for its mode) or a new link. */
async function writeTemp(
  ctx: CommitContext,
  head: { kind: 'file' | 'link'; id: string },
  dirFd: number,
  tmp: Buffer,
): Promise<number | undefined> {
  unlinkQuiet(dirFd, tmp);
  if (head.kind === 'link') {
    fs.symlinkSync(await ctx.blobs.small(head.id, LINK_MAX), inDir(dirFd, tmp));
    return undefined;
  }
  const fd = fs.openSync(inDir(dirFd, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    await ctx.blobs.writeTo(head.id, fd);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

function saveBeside(
  ctx: CommitContext,
  report: CommitReport,
  dirFd: number,
  tmp: Buffer,
  name: Buffer,
  shown: string,
  why: string,
): void {
  const as = Buffer.concat([name, Buffer.from(`.berth-session-${ctx.sessionId}`)]);
  let copy: string | null = `${shown}.berth-session-${ctx.sessionId}`;
  try {
    fs.renameSync(inDir(dirFd, tmp), inDir(dirFd, as));
  } catch {
    copy = null;
  }
  conflict(report, shown, copy, why);
}

function conflict(report: CommitReport, path: string, sessionCopy: string | null, why: string): void {
  report.conflicts.push({ path, sessionCopy, why });
}

/** The aside is what the plan saw: same kind and blob id; a folder must be empty. */
function asideIs(dirFd: number, aside: Buffer, expect: SideEntry, algo: HashAlgo): boolean {
  if (!sameEntry(readHostEntry(dirFd, aside, algo), expect)) return false;
  if (expect.kind !== 'folder') return true;
  const fd = openChildDir(dirFd, aside);
  if (fd === undefined) return false;
  try {
    return listNames(fd).length === 0;
  } finally {
    fs.closeSync(fd);
  }
}

/** Renames the host entry aside; false when nothing was there. */
function setAside(dirFd: number, name: Buffer, aside: Buffer): boolean {
  try {
    fs.renameSync(inDir(dirFd, name), inDir(dirFd, aside));
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw err;
  }
}

/** The aside back in its place; when the place was taken meanwhile, kept beside under a host name. */
function putBackOrKeep(dirFd: number, aside: Buffer, name: Buffer): void {
  const st = lstatIn(dirFd, aside);
  if (st === undefined || putAsideBack(dirFd, aside, name, st.isDirectory())) return;
  fs.renameSync(
    inDir(dirFd, aside),
    inDir(dirFd, Buffer.concat([name, Buffer.from(`.berth-host-${Date.now()}`)])),
  );
}

/** Puts `tmp` at `name` without replacing anything there (link(2) fails on EEXIST). */
function linkInto(dirFd: number, tmp: Buffer, name: Buffer): boolean {
  try {
    fs.linkSync(inDir(dirFd, tmp), inDir(dirFd, name));
    return true;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw err;
  }
}

function chmodOne(
  ctx: CommitContext,
  a: Numbered & { op: 'chmod' },
  dirFd: number,
  name: Buffer,
  report: CommitReport,
): void {
  const fd = fs.openSync(inDir(dirFd, name), fs.constants.O_RDONLY | O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || (st.mode & 0o777) !== a.from) {
      return conflict(report, a.shown, null, 'mode changed on the host and in the session (host kept)');
    }
    fs.fchmodSync(fd, a.to);
    report.written.push(a.shown);
  } finally {
    fs.closeSync(fd);
  }
  void ctx;
}

function folderOp(ctx: CommitContext, a: Numbered, report: CommitReport): void {
  if (a.op === 'mkdir') {
    const parent = openParent(ctx.rootFd, a.parts, 0o755);
    if (!('fd' in parent))
      return conflict(
        report,
        a.shown,
        null,
        'a link or a file on the host where the session has a folder; not followed',
      );
    try {
      const made = openChildDir(parent.fd, a.parts.at(-1)!, 0o755);
      if (made === undefined)
        return conflict(
          report,
          a.shown,
          null,
          'something else is at this path on the host; the session has an empty folder',
        );
      fs.closeSync(made);
      report.folders.created.push(a.shown);
    } finally {
      fs.closeSync(parent.fd);
    }
    return;
  }
  const parent = openParent(ctx.rootFd, a.parts);
  if (!('fd' in parent)) return;
  try {
    const name = a.parts.at(-1)!;
    const child = openChildDir(parent.fd, name);
    if (child === undefined) return;
    const left = listNames(child).length;
    fs.closeSync(child);
    if (left > 0) {
      report.skipped.push({
        path: a.shown,
        why: 'removed in the session, but the host folder still holds files: kept',
      });
      return;
    }
    try {
      fs.rmdirSync(inDir(parent.fd, name));
      report.folders.removed.push(a.shown);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOTEMPTY' || code === 'EEXIST')
        report.skipped.push({
          path: a.shown,
          why: 'removed in the session, but the host folder got files meanwhile: kept',
        });
      else if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
  } finally {
    fs.closeSync(parent.fd);
  }
}

/** Why a link may not be written, or undefined when its target stays in the project. */
function linkRefusal(ctx: CommitContext, parts: Buffer[], target: Buffer): string | undefined {
  if (!parts.every((p) => isUtf8(p)) || !isUtf8(target))
    return 'a link whose name or target is not UTF-8: not applied';
  const text = target.toString('utf8');
  const judged = linkTargetInside(
    new ConfinedRoot(ctx.hostPath),
    parts.map((p) => p.toString('utf8')),
    text,
  );
  return judged.inside ? undefined : `a link to ${text}, outside the project (${judged.why})`;
}

/** After all writes: a link that now resolves outside the project goes to the trash. */
function recheckLinks(ctx: CommitContext, links: Numbered[], report: CommitReport): void {
  for (const a of links) {
    const parent = openParent(ctx.rootFd, a.parts);
    if (!('fd' in parent)) continue;
    try {
      const name = a.parts.at(-1)!;
      const st = lstatIn(parent.fd, name);
      if (!st?.isSymbolicLink()) continue;
      const target = fs.readlinkSync(inDir(parent.fd, name), { encoding: 'buffer' });
      const why = linkRefusal(ctx, a.parts, target);
      if (why === undefined) continue;
      const aside = asideName(ctx.applyId, a.n);
      if (!setAside(parent.fd, name, aside)) continue;
      ctx.trash.take(parent.fd, aside, a.path);
      report.written = report.written.filter((w) => w !== a.shown);
      report.refused.push({ path: a.shown, why: `${why}; moved to the trash after the apply` });
    } finally {
      fs.closeSync(parent.fd);
    }
  }
}

function unlinkQuiet(dirFd: number, name: Buffer): void {
  try {
    fs.unlinkSync(inDir(dirFd, name));
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}
