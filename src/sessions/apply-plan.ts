import * as fs from 'node:fs';
import { bytesKey, isGitName, joinBytes, showBytes, splitBytes } from '../workspace/byte-path.js';
import { lstatIn, openChildDir } from '../workspace/fd-dir.js';
import type { HashAlgo } from './blob-stream.js';
import { describeEntry, readHostEntry, sameEntry, type SideEntry } from './host-entry.js';
import type { BaselineModes, BaselineTree, ChangedPath, WorkspaceScan } from './session-tree.js';

/** A path of the plan: its bytes, its components and how it is shown. */
export interface PlanPath {
  path: Buffer;
  parts: Buffer[];
  shown: string;
}

export type Action =
  | (PlanPath & {
      op: 'write';
      head: SideEntry & { kind: 'file' | 'link' };
      /** What the host had at plan time (the baseline's version), undefined when nothing. */
      expect: SideEntry | undefined;
      mode: (hostMode: number | undefined) => number;
    })
  | (PlanPath & { op: 'delete'; expect: SideEntry })
  | (PlanPath & { op: 'copy'; head: SideEntry & { kind: 'file' | 'link' }; why: string })
  | (PlanPath & { op: 'chmod'; expect: SideEntry; from: number; to: number })
  | (PlanPath & { op: 'mkdir' })
  | (PlanPath & { op: 'rmdir' });

export interface Plan {
  actions: Action[];
  conflicts: { path: string; sessionCopy: string | null; why: string }[];
  skipped: { path: string; why: string }[];
  /** Paths `only` left out. */
  remaining: string[];
  deletes: number;
}

export interface PlanInput {
  rootFd: number;
  algo: HashAlgo;
  sessionId: string;
  changed: ChangedPath[];
  baseline: BaselineTree;
  modes: BaselineModes | undefined;
  scan: WorkspaceScan;
  only: string[];
}

/** Where a path's parent folder stands on the host, found without following anything. */
type Parent = { fd: number } | { missing: true } | { blocked: string; at: Buffer };

/**
 * The three-way plan: for each path the session changed, what the host has now (read through
 * fds, hashed by streaming) against the baseline. Untouched on the host: replace or delete it.
 * Changed on the host too: a conflict (the session's version is to be saved beside it). A link
 * or a file on the host where the session has a folder is a host change, never followed.
 */
export function makePlan(input: PlanInput): Plan {
  const plan: Plan = { actions: [], conflicts: [], skipped: [], remaining: [], deletes: 0 };
  const selected = selector(input.only);
  const take = (p: PlanPath) => {
    if (selected(p.path)) return true;
    plan.remaining.push(p.shown);
    return false;
  };
  const writtenPaths = new Set<string>();
  const deletedHere = new Set(
    input.changed.filter((c) => c.head === undefined && c.base !== undefined).map((c) => bytesKey(c.path)),
  );
  for (const change of input.changed) {
    const p = planPath(change.path);
    if (p.parts.some(isGitName)) continue;
    if (!take(p)) continue;
    const { base, head } = change;
    if (head?.kind === 'gitlink' || base?.kind === 'gitlink') {
      plan.skipped.push({
        path: p.shown,
        why: 'a nested git repository: its files are not applied; commit and push it from its own repository',
      });
      continue;
    }
    const baseSide: SideEntry | undefined =
      base ?? (input.baseline.folders.has(bytesKey(p.path)) ? { kind: 'folder' } : undefined);
    const parent = openParent(input.rootFd, p.parts);
    // a file the session turned into a folder: its deletion comes first, then this write
    if ('blocked' in parent && !deletedHere.has(bytesKey(parent.at))) {
      plan.conflicts.push({
        path: p.shown,
        sessionCopy: null,
        why: `"${parent.blocked}" is a link or a file on the host where the session has a folder; not followed`,
      });
      continue;
    }
    let host: SideEntry | undefined;
    if ('fd' in parent) {
      try {
        host = readHostEntry(parent.fd, p.parts.at(-1)!, input.algo);
      } finally {
        fs.closeSync(parent.fd);
      }
    }
    const headSide = head as (SideEntry & { kind: 'file' | 'link' }) | undefined;
    const sessionMode = headSide?.kind === 'file' ? modeOf(input, p.path, headSide) : undefined;
    const baseMode = base?.kind === 'file' ? baseModeOf(input, p.path, base) : undefined;
    if (sameEntry(host, headSide)) {
      // already there (an earlier apply, or the same edit on both sides): only the mode may differ
      if (
        host?.kind === 'file' &&
        sessionMode !== undefined &&
        baseMode !== undefined &&
        sessionMode !== baseMode
      ) {
        if ((host.mode & 0o777) !== sessionMode)
          plan.actions.push({ ...p, op: 'chmod', expect: host, from: host.mode & 0o777, to: sessionMode });
      }
      continue;
    }
    if (!sameEntry(host, baseSide)) {
      if (headSide) {
        plan.actions.push({
          ...p,
          op: 'copy',
          head: headSide,
          why: host === undefined ? 'deleted on the host, changed in the session' : conflictWhy(host),
        });
      }
      plan.conflicts.push({
        path: p.shown,
        sessionCopy: headSide ? copyName(p.shown, input.sessionId) : null,
        why: headSide
          ? host === undefined
            ? 'deleted on the host, changed in the session'
            : conflictWhy(host)
          : 'deleted in the session, changed on the host',
      });
      continue;
    }
    if (headSide) {
      writtenPaths.add(bytesKey(p.path));
      const changedMode = sessionMode !== undefined && (baseMode === undefined || sessionMode !== baseMode);
      plan.actions.push({
        ...p,
        op: 'write',
        head: headSide,
        expect: host,
        mode: (hostMode) =>
          headSide.kind === 'link'
            ? 0o777
            : changedMode || hostMode === undefined
              ? sessionMode!
              : hostMode & 0o777,
      });
    } else if (host) {
      if (host.kind !== 'folder') plan.deletes++;
      plan.actions.push({ ...p, op: 'delete', expect: host });
    }
  }
  addModeOnly(input, plan, take);
  addFolders(input, plan, take, writtenPaths);
  for (const special of input.scan.special) {
    const p = planPath(special);
    if (take(p))
      plan.skipped.push({
        path: p.shown,
        why: 'a special file (FIFO, socket or device) in the session: not applied',
      });
  }
  return plan;
}

export function copyName(shown: string, sessionId: string): string {
  return `${shown}.berth-session-${sessionId}`;
}

function conflictWhy(host: SideEntry): string {
  return host.kind === 'file' || host.kind === 'link'
    ? 'changed on the host and in the session'
    : `${describeEntry(host)} on the host where the session has its own version`;
}

/** Files whose mode alone the session changed (`chmod`), seen against baseline.json. */
function addModeOnly(input: PlanInput, plan: Plan, take: (p: PlanPath) => boolean): void {
  if (!input.modes) return;
  const changed = new Set(input.changed.map((c) => bytesKey(c.path)));
  for (const [key, mode] of input.scan.modes) {
    const before = input.modes.modes.get(key);
    if (before === undefined || before === mode || changed.has(key)) continue;
    const p = planPath(Buffer.from(key, 'latin1'));
    if (p.parts.some(isGitName) || !take(p)) continue;
    const parent = openParent(input.rootFd, p.parts);
    if (!('fd' in parent)) continue;
    let host: SideEntry | undefined;
    try {
      host = readHostEntry(parent.fd, p.parts.at(-1)!, input.algo);
    } finally {
      fs.closeSync(parent.fd);
    }
    if (host?.kind !== 'file') continue; // links have no mode of their own
    const hostMode = host.mode & 0o777;
    if (hostMode === mode) continue;
    if (hostMode !== before) {
      plan.conflicts.push({
        path: p.shown,
        sessionCopy: null,
        why: `mode changed on the host and in the session (host ${oct(hostMode)} kept, session ${oct(mode)})`,
      });
      continue;
    }
    plan.actions.push({ ...p, op: 'chmod', expect: host, from: hostMode, to: mode });
  }
}

/** Empty folders the session made, and baseline folders it removed. */
function addFolders(
  input: PlanInput,
  plan: Plan,
  take: (p: PlanPath) => boolean,
  written: Set<string>,
): void {
  for (const path of input.scan.emptyNew) {
    const p = planPath(path);
    if (!p.parts.some(isGitName) && take(p)) plan.actions.push({ ...p, op: 'mkdir' });
  }
  const gone = [...(input.modes?.folders ?? input.baseline.folders)]
    .filter((key) => !input.scan.folders.has(key) && !written.has(key))
    .map((key) => planPath(Buffer.from(key, 'latin1')))
    .filter((p) => !p.parts.some(isGitName))
    .sort((a, b) => b.parts.length - a.parts.length);
  for (const p of gone) if (take(p)) plan.actions.push({ ...p, op: 'rmdir' });
}

function modeOf(input: PlanInput, path: Buffer, head: SideEntry & { kind: 'file' }): number {
  const fromScan = input.modes ? input.scan.modes.get(bytesKey(path)) : undefined;
  return (fromScan ?? head.mode) & 0o777;
}

function baseModeOf(input: PlanInput, path: Buffer, base: SideEntry & { kind: 'file' }): number {
  const fromJson = input.modes?.modes.get(bytesKey(path));
  // without baseline.json (older sessions) git's 644/755 is all there is, on both sides
  return (fromJson ?? base.mode) & 0o777;
}

export function planPath(path: Buffer): PlanPath {
  return { path, parts: splitBytes(path), shown: showBytes(path) };
}

/** `only` as byte prefixes: a path is in when it is one of them or below one. */
function selector(only: string[]): (path: Buffer) => boolean {
  if (only.length === 0) return () => true;
  const prefixes = only.map((o) => Buffer.from(o.replace(/^\.\/+/, '').replace(/\/+$/, ''), 'utf8'));
  return (path) =>
    prefixes.some(
      (o) =>
        path.equals(o) ||
        (path.length > o.length && path.subarray(0, o.length).equals(o) && path[o.length] === 0x2f),
    );
}

/** Opens the parent of `parts` on the host, component by component, following nothing. */
export function openParent(rootFd: number, parts: Buffer[], create?: number): Parent {
  let fd = fs.openSync(`/proc/self/fd/${rootFd}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  for (let i = 0; i < parts.length - 1; i++) {
    const next = openChildDir(fd, parts[i]!, create);
    if (next === undefined) {
      const st = lstatIn(fd, parts[i]!);
      fs.closeSync(fd);
      if (st === undefined) return { missing: true };
      const at = joinBytes(parts.slice(0, i + 1));
      return { blocked: showBytes(at), at };
    }
    fs.closeSync(fd);
    fd = next;
  }
  return { fd };
}

function oct(mode: number): string {
  return `0${mode.toString(8)}`;
}
