import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { BerthError } from '../errors.js';
import { joinBytes } from '../workspace/byte-path.js';
import { openRoot } from '../workspace/fd-dir.js';
import { commitPlan, type CommitReport } from './apply-commit.js';
import { releaseJournal, removeJournal, writeJournal, type JournalEntry } from './apply-journal.js';
import { makePlan, type Action } from './apply-plan.js';
import { BlobStream } from './blob-stream.js';
import type { SandboxGit } from './sandbox-git.js';
import { baselineTree, changedPaths, readBaselineModes, scanWorkspace } from './session-tree.js';
import { ApplyTrash } from './trash.js';

/** More deletions than this (or than MASS_DELETE_SHARE of the baseline) stop an apply. */
export const MASS_DELETE_FILES = 50;
export const MASS_DELETE_SHARE = 0.2;
/** The share rule counts only from this many deletions (deleting 1 of 3 files is not mass). */
export const MASS_DELETE_SHARE_FROM = 3;

/** What an apply did: the commit's report (written, deleted, conflicts, refused, skipped, folders), and: */
export interface ApplyReport extends CommitReport {
  /** The apply id: what it deleted or replaced is in the trash under it (`berth session restore`). */
  trash: string | null;
  applyId: string;
  /** With `paths`: what the session changed that was not applied (the session stays open). */
  remaining: string[];
}

export interface ApplyInput {
  git: SandboxGit;
  hostPath: string;
  baseline: string;
  /** The session's HEAD, or the commit under way that will be it. */
  head: string | Promise<string>;
  sessionId: string;
  /** Only these files or folders (default: everything). */
  only?: string[];
  /** The session's sandbox workspace (modes and folders are read from it, through fds). */
  sandboxWorkspace: string;
  /** The session's folder: `baseline.json` is there. */
  sessionRoot: string;
  /** BERTH_HOME: journals and trash. */
  home: string;
  allowMassDelete?: boolean;
  /** Called right before each host entry is replaced or deleted (tests race the apply with it). */
  beforeReplace?: (path: string) => void | Promise<void>;
}

/**
 * Applies a session to its host folder as a transaction: plan (three-way, against what the
 * host holds now), a journal, then each replace re-checked right before it happens
 * (apply-commit.ts), with what is deleted or replaced kept in the trash. The caller holds the
 * folder lock (folder-lock.ts) and runs `recoverApplies` first.
 */
export async function applySession(input: ApplyInput): Promise<ApplyReport> {
  const { git } = input;
  const applyId = `a-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  // a commit id is 64 hex digits in a sha256 repository, 40 in a sha1 one
  const algo = input.baseline.length === 64 ? 'sha256' : 'sha1';
  const modes = readBaselineModes(input.sessionRoot);
  const diffing = (async () => {
    const head = await input.head;
    return Promise.all([
      changedPaths(git, input.baseline, head),
      // baseline.json has what the tree listing would say (and the copy's ignored folders too)
      modes ? { files: modes.modes.size, folders: modes.folders } : baselineTree(git, input.baseline),
    ]);
  })();
  // the walk is synchronous: it runs while git (the caller's commit, then the diff) works
  const early = modes ? scanWorkspace(input.sandboxWorkspace, modes.folders) : undefined;
  const [changed, baseline] = await diffing;
  // (older sessions have no baseline.json: their folders come from git)
  const scan = early ?? scanWorkspace(input.sandboxWorkspace, baseline.folders);
  const rootFd = openRoot(input.hostPath);
  try {
    const plan = makePlan({
      rootFd,
      algo,
      sessionId: input.sessionId,
      changed,
      baseline,
      modes,
      scan,
      only: input.only ?? [],
    });
    const limit = Math.min(
      MASS_DELETE_FILES,
      plan.deletes >= MASS_DELETE_SHARE_FROM ? baseline.files * MASS_DELETE_SHARE : Infinity,
    );
    if (!input.allowMassDelete && plan.deletes > limit) {
      throw new BerthError(
        'MASS_DELETE',
        `the session deletes ${plan.deletes} of the ${baseline.files} files it started from; nothing was changed. ` +
          'Look at `berth session diff`, then apply with --allow-mass-delete if that is meant',
        { deletes: plan.deletes, baselineFiles: baseline.files },
      );
    }
    const numbered = plan.actions.map((a, n) => ({ ...a, n }));
    const trash = new ApplyTrash(input.home, input.hostPath, applyId, input.sessionId);
    writeJournal(input.home, {
      applyId,
      hostPath: input.hostPath,
      session: input.sessionId,
      pid: process.pid,
      at: new Date().toISOString(),
      entries: numbered.filter(touchesEntries).map(journalEntry),
    });
    const blobs = new BlobStream(git);
    let committed;
    try {
      committed = await commitPlan(
        {
          hostPath: input.hostPath,
          rootFd,
          applyId,
          sessionId: input.sessionId,
          algo,
          blobs,
          trash,
          ...(input.beforeReplace ? { beforeReplace: input.beforeReplace } : {}),
        },
        plan,
        numbered,
      );
    } catch (err) {
      // the journal stays: the next apply or session command finishes the recovery
      releaseJournal(applyId);
      throw err;
    } finally {
      await blobs.close();
    }
    removeJournal(input.home, applyId);
    const byPath = (a: { path: string }, b: { path: string }) =>
      Buffer.compare(Buffer.from(a.path), Buffer.from(b.path));
    return {
      written: committed.written,
      deleted: committed.deleted,
      conflicts: committed.conflicts.sort(byPath),
      refused: committed.refused,
      skipped: committed.skipped,
      trash: trash.size > 0 ? applyId : null,
      applyId,
      remaining: plan.remaining,
      folders: committed.folders,
    };
  } finally {
    fs.closeSync(rootFd);
  }
}

function touchesEntries(a: Action): boolean {
  return a.op === 'write' || a.op === 'delete' || a.op === 'copy';
}

function journalEntry(a: Action & { n: number }): JournalEntry {
  return {
    n: a.n,
    dir: joinBytes(a.parts.slice(0, -1)).toString('base64'),
    name: a.parts.at(-1)!.toString('base64'),
  };
}

/** What a caller of `Sessions.apply` may add to the session's own settings. */
export type SessionApplyOptions = Pick<ApplyInput, 'allowMassDelete' | 'beforeReplace'>;
