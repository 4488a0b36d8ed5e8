import { describe, expect, it } from 'vitest';
import { conflictCopyName, entriesEqual, reconcile } from '../src/sync/reconcile/reconcile.js';
import type { ReconcileInput, ReconcilePlan } from '../src/sync/reconcile/reconcile.js';
import type { ScanProblem, SyncEntry, SyncOp, SyncTree } from '../src/workspace/sync-tree/entry.js';
import { applyPlan, treeDifference } from './helpers/sync-memory-replica.js';

/**
 * The reconciler's decisions, one named situation per case (after Mutagen's reconcile tests).
 * Plans are compared in a compact notation, one string per step:
 *   `<side> <op> <path> <what> (was <expected>)[ from <path>] ; ... | <ancestor updates>`
 * with L/C for the sides, entries as `digest:mode` (file), `dir:mode`, `->target` (link) and
 * `-` for nothing, and `path=entry` for the ancestor.
 */

const f = (digest: string, mode = 0o644): SyncEntry => ({
  kind: 'file',
  digest,
  size: digest.length * 10,
  mode,
});
const d = (mode = 0o755): SyncEntry => ({ kind: 'dir', mode });
const ln = (target: string): SyncEntry => ({ kind: 'link', target });

type Spec = Record<string, SyncEntry>;

/** A tree with its root (a 755 dir unless the spec sets '' itself). */
function tree(spec: Spec | null): SyncTree {
  if (spec === null) return new Map();
  return new Map<string, SyncEntry>([['', d()], ...Object.entries(spec)]);
}

function show(entry: SyncEntry | null | undefined): string {
  if (!entry) return '-';
  if (entry.kind === 'file') return `${entry.digest}:${entry.mode.toString(8)}`;
  if (entry.kind === 'dir') return `dir:${entry.mode.toString(8)}`;
  return `->${entry.target}`;
}

function showOp(op: SyncOp): string {
  switch (op.op) {
    case 'put':
      return `put ${op.path} ${show(op.entry)} (was ${show(op.expect)})`;
    case 'mkdir':
      return `mkdir ${op.path} ${op.mode.toString(8)} (was ${show(op.expect)})`;
    case 'symlink':
      return `symlink ${op.path} ->${op.target} (was ${show(op.expect)})`;
    case 'chmod':
      return `chmod ${op.path} ${op.mode.toString(8)} (was ${show(op.expect)})`;
    case 'remove':
      return `rm ${op.path} (was ${show(op.expect)})`;
    case 'move':
      return `mv ${op.path} ${op.to} (was ${show(op.expect)})`;
  }
}

function showPlan(plan: ReconcilePlan): string[] {
  return plan.steps.map((step) => {
    const ops = step.ops.map(
      ({ side, op, from }) =>
        `${side === 'local' ? 'L' : 'C'} ${showOp(op)}${from !== undefined ? ` from ${from}` : ''}`,
    );
    const ancestor = step.ancestor.map(({ path, entry }) => `${path}=${show(entry)}`);
    return `${ops.join(' ; ')}${ops.length > 0 ? ' ' : ''}| ${ancestor.join(', ')}`;
  });
}

interface Case {
  name: string;
  /** null: no ancestor (first sync). */
  ancestor: Spec | null;
  local: Spec | null;
  container: Spec | null;
  localProblems?: string[];
  containerProblems?: string[];
  localRoot?: ReconcileInput['localRoot'];
  containerRoot?: ReconcileInput['containerRoot'];
  massDeleteLimit?: number;
  steps?: string[];
  conflicts?: [path: string, copy: string][];
  halt?: string;
  skipped?: string[];
  /** A scan holds an entry no walk reaches: the sides cannot converge on it. */
  malformed?: true;
}

const S = 'S'; // the stamp in every case: copies are named `<name>.berth-conflict-local-S`

function inputOf(c: Case): ReconcileInput {
  const problems = (paths: string[] = []): ScanProblem[] =>
    paths.map((path) => ({ path, reason: 'unreadable' }));
  return {
    ancestor: tree(c.ancestor),
    local: tree(c.local),
    container: tree(c.container),
    localRoot: c.localRoot ?? (c.local === null ? 'missing' : 'dir'),
    containerRoot: c.containerRoot ?? (c.container === null ? 'missing' : 'dir'),
    localProblems: problems(c.localProblems),
    containerProblems: problems(c.containerProblems),
    stamp: S,
    ...(c.massDeleteLimit !== undefined ? { massDeleteLimit: c.massDeleteLimit } : {}),
  };
}

const CASES: Case[] = [
  // ── nothing to do ──
  { name: 'empty everywhere', ancestor: {}, local: {}, container: {}, steps: [] },
  {
    name: 'unchanged tree',
    ancestor: { a: f('x'), d: d(), 'd/b': f('y'), l: ln('a') },
    local: { a: f('x'), d: d(), 'd/b': f('y'), l: ln('a') },
    container: { a: f('x'), d: d(), 'd/b': f('y'), l: ln('a') },
    steps: [],
  },
  {
    name: 'a size difference alone is no change (the digest decides)',
    ancestor: { a: f('x') },
    local: { a: { kind: 'file', digest: 'x', size: 1, mode: 0o644 } },
    container: { a: f('x') },
    steps: [],
  },

  // ── one side changed ──
  {
    name: 'local creates a file',
    ancestor: {},
    local: { a: f('x') },
    container: {},
    steps: ['C put a x:644 (was -) from a | a=x:644'],
  },
  {
    name: 'container creates a file',
    ancestor: {},
    local: {},
    container: { a: f('x') },
    steps: ['L put a x:644 (was -) from a | a=x:644'],
  },
  {
    name: 'local creates a folder with contents: parents first',
    ancestor: {},
    local: { d: d(), 'd/a': f('x'), 'd/e': d(0o700), 'd/e/b': f('y') },
    container: {},
    steps: [
      'C mkdir d 755 (was -) | d=dir:755',
      'C put d/a x:644 (was -) from d/a | d/a=x:644',
      'C mkdir d/e 700 (was -) | d/e=dir:700',
      'C put d/e/b y:644 (was -) from d/e/b | d/e/b=y:644',
    ],
  },
  {
    name: 'container creates an empty folder',
    ancestor: {},
    local: {},
    container: { d: d() },
    steps: ['L mkdir d 755 (was -) | d=dir:755'],
  },
  {
    name: 'a link is copied with its target verbatim, even one leaving the root',
    ancestor: {},
    local: { l: ln('../../etc/passwd') },
    container: {},
    steps: ['C symlink l ->../../etc/passwd (was -) | l=->../../etc/passwd'],
  },
  {
    name: 'local modifies a file',
    ancestor: { a: f('x') },
    local: { a: f('y') },
    container: { a: f('x') },
    steps: ['C put a y:644 (was x:644) from a | a=y:644'],
  },
  {
    name: 'container modifies a file',
    ancestor: { a: f('x') },
    local: { a: f('x') },
    container: { a: f('y') },
    steps: ['L put a y:644 (was x:644) from a | a=y:644'],
  },
  {
    name: 'local makes a file executable: a chmod, no content sent',
    ancestor: { a: f('x') },
    local: { a: f('x', 0o755) },
    container: { a: f('x') },
    steps: ['C chmod a 755 (was x:644) | a=x:755'],
  },
  {
    name: 'local changes content and mode together: one put',
    ancestor: { a: f('x') },
    local: { a: f('y', 0o755) },
    container: { a: f('x') },
    steps: ['C put a y:755 (was x:644) from a | a=y:755'],
  },
  {
    name: 'container changes a folder mode',
    ancestor: { d: d() },
    local: { d: d() },
    container: { d: d(0o700) },
    steps: ['L chmod d 700 (was dir:755) | d=dir:700'],
  },
  {
    name: 'the root mode changes on one side',
    ancestor: {},
    local: { '': d(0o775) },
    container: {},
    steps: ['C chmod  775 (was dir:755) | =dir:775'],
  },
  {
    name: 'a link retargeted on one side',
    ancestor: { l: ln('a') },
    local: { l: ln('a') },
    container: { l: ln('b') },
    steps: ['L symlink l ->b (was ->a) | l=->b'],
  },
  {
    name: 'local deletes a file',
    ancestor: { a: f('x'), b: f('y') },
    local: { b: f('y') },
    container: { a: f('x'), b: f('y') },
    steps: ['C rm a (was x:644) | a=-'],
  },
  {
    name: 'container deletes a link',
    ancestor: { l: ln('a'), b: f('y') },
    local: { l: ln('a'), b: f('y') },
    container: { b: f('y') },
    steps: ['L rm l (was ->a) | l=-'],
  },
  {
    name: 'local deletes a folder tree: children before parents',
    ancestor: { d: d(), 'd/a': f('x'), 'd/e': d(), 'd/e/b': f('y'), k: f('k') },
    local: { k: f('k') },
    container: { d: d(), 'd/a': f('x'), 'd/e': d(), 'd/e/b': f('y'), k: f('k') },
    steps: [
      'C rm d/a (was x:644) | d/a=-',
      'C rm d/e/b (was y:644) | d/e/b=-',
      'C rm d/e (was dir:755) | d/e=-',
      'C rm d (was dir:755) | d=-',
    ],
  },
  {
    name: 'container replaces a folder with a file, local untouched',
    ancestor: { d: d(), 'd/a': f('x') },
    local: { d: d(), 'd/a': f('x') },
    container: { d: f('z') },
    steps: ['L rm d/a (was x:644) | d/a=-', 'L rm d (was dir:755) ; L put d z:644 (was -) from d | d=z:644'],
  },
  {
    name: 'local replaces a file with a folder, container untouched',
    ancestor: { d: f('z') },
    local: { d: d(), 'd/a': f('x') },
    container: { d: f('z') },
    steps: [
      'C rm d (was z:644) ; C mkdir d 755 (was -) | d=dir:755',
      'C put d/a x:644 (was -) from d/a | d/a=x:644',
    ],
  },
  {
    name: 'container replaces a folder with a link, local untouched',
    ancestor: { d: d(), 'd/a': f('x') },
    local: { d: d(), 'd/a': f('x') },
    container: { d: ln('elsewhere') },
    steps: [
      'L rm d/a (was x:644) | d/a=-',
      'L rm d (was dir:755) ; L symlink d ->elsewhere (was -) | d=->elsewhere',
    ],
  },
  {
    name: 'local replaces a link with a file: one put over the link',
    ancestor: { l: ln('a') },
    local: { l: f('x') },
    container: { l: ln('a') },
    steps: ['C put l x:644 (was ->a) from l | l=x:644'],
  },
  {
    name: 'container replaces a file with a link',
    ancestor: { a: f('x') },
    local: { a: f('x') },
    container: { a: ln('b') },
    steps: ['L symlink a ->b (was x:644) | a=->b'],
  },

  // ── both sides agree ──
  {
    name: 'both create the same file: agreed, no op',
    ancestor: {},
    local: { a: f('x') },
    container: { a: f('x') },
    steps: ['| a=x:644'],
  },
  {
    name: 'both make the same edit',
    ancestor: { a: f('x') },
    local: { a: f('y') },
    container: { a: f('y') },
    steps: ['| a=y:644'],
  },
  {
    name: 'both delete a file',
    ancestor: { a: f('x'), b: f('y') },
    local: { b: f('y') },
    container: { b: f('y') },
    steps: ['| a=-'],
  },
  {
    name: 'both delete a folder tree',
    ancestor: { d: d(), 'd/a': f('x'), b: f('y') },
    local: { b: f('y') },
    container: { b: f('y') },
    steps: ['| d=-, d/a=-'],
  },
  {
    name: 'both replace a folder with the same file',
    ancestor: { d: d(), 'd/a': f('x') },
    local: { d: f('z') },
    container: { d: f('z') },
    steps: ['| d=z:644, d/a=-'],
  },
  {
    name: 'agreements are gathered in one leading step, changes follow',
    ancestor: { a: f('x'), b: f('x') },
    local: { a: f('y'), b: f('x'), c: f('c') },
    container: { a: f('y'), b: f('z') },
    steps: [
      '| a=y:644',
      'L put b z:644 (was x:644) from b | b=z:644',
      'C put c c:644 (was -) from c | c=c:644',
    ],
  },

  // ── conflicts ──
  {
    name: 'both modify a file differently: container in place, local kept as a copy',
    ancestor: { a: f('x') },
    local: { a: f('l') },
    container: { a: f('c') },
    steps: [
      'L mv a a.berth-conflict-local-S (was l:644) ; L put a c:644 (was -) from a ; ' +
        'C put a.berth-conflict-local-S l:644 (was -) from a.berth-conflict-local-S | ' +
        'a=c:644, a.berth-conflict-local-S=l:644',
    ],
    conflicts: [['a', 'a.berth-conflict-local-S']],
  },
  {
    name: 'both create different files at one path',
    ancestor: { k: f('k') },
    local: { k: f('k'), 'd e': f('l') },
    container: { k: f('k'), 'd e': f('c') },
    steps: [
      'L mv d e d e.berth-conflict-local-S (was l:644) ; L put d e c:644 (was -) from d e ; ' +
        'C put d e.berth-conflict-local-S l:644 (was -) from d e.berth-conflict-local-S | ' +
        'd e=c:644, d e.berth-conflict-local-S=l:644',
    ],
    conflicts: [['d e', 'd e.berth-conflict-local-S']],
  },
  {
    name: 'content changed on one side, mode on the other: a conflict (no merge of the two)',
    ancestor: { a: f('x') },
    local: { a: f('y') },
    container: { a: f('x', 0o755) },
    conflicts: [['a', 'a.berth-conflict-local-S']],
  },
  {
    name: 'both retarget a link differently',
    ancestor: { l: ln('a') },
    local: { l: ln('b') },
    container: { l: ln('c') },
    steps: [
      'L mv l l.berth-conflict-local-S (was ->b) ; L symlink l ->c (was -) ; ' +
        'C symlink l.berth-conflict-local-S ->b (was -) | l=->c, l.berth-conflict-local-S=->b',
    ],
    conflicts: [['l', 'l.berth-conflict-local-S']],
  },
  {
    name: 'local turns a file into a folder, container edits the file: the folder moves aside whole',
    ancestor: { a: f('x') },
    local: { a: d(), 'a/n': f('n') },
    container: { a: f('c') },
    steps: [
      'L mv a a.berth-conflict-local-S (was dir:755) ; L put a c:644 (was -) from a ; ' +
        'C mkdir a.berth-conflict-local-S 755 (was -) ; ' +
        'C put a.berth-conflict-local-S/n n:644 (was -) from a.berth-conflict-local-S/n | ' +
        'a=c:644, a.berth-conflict-local-S=dir:755, a.berth-conflict-local-S/n=n:644',
    ],
    conflicts: [['a', 'a.berth-conflict-local-S']],
  },
  {
    name: 'container turns a file into a folder, local edits the file',
    ancestor: { a: f('x') },
    local: { a: f('l') },
    container: { a: d(), 'a/n': f('n') },
    steps: [
      'L mv a a.berth-conflict-local-S (was l:644) ; L mkdir a 755 (was -) ; L put a/n n:644 (was -) from a/n ; ' +
        'C put a.berth-conflict-local-S l:644 (was -) from a.berth-conflict-local-S | ' +
        'a=dir:755, a/n=n:644, a.berth-conflict-local-S=l:644',
    ],
    conflicts: [['a', 'a.berth-conflict-local-S']],
  },
  {
    name: 'local replaces a folder by a file while the container edits inside it: a conflict at the folder',
    ancestor: { d: d(), 'd/a': f('x'), 'd/b': f('y') },
    local: { d: f('z') },
    container: { d: d(), 'd/a': f('c'), 'd/b': f('y') },
    steps: [
      'L mv d d.berth-conflict-local-S (was z:644) ; L mkdir d 755 (was -) ; ' +
        'L put d/a c:644 (was -) from d/a ; L put d/b y:644 (was -) from d/b ; ' +
        'C put d.berth-conflict-local-S z:644 (was -) from d.berth-conflict-local-S | ' +
        'd=dir:755, d/a=c:644, d/b=y:644, d.berth-conflict-local-S=z:644',
    ],
    conflicts: [['d', 'd.berth-conflict-local-S']],
  },
  {
    name: 'container replaces a folder by a link while local edits inside: the old ancestor entries go',
    ancestor: { d: d(), 'd/a': f('x') },
    local: { d: d(), 'd/a': f('l') },
    container: { d: ln('t') },
    steps: [
      'L mv d d.berth-conflict-local-S (was dir:755) ; L symlink d ->t (was -) ; ' +
        'C mkdir d.berth-conflict-local-S 755 (was -) ; ' +
        'C put d.berth-conflict-local-S/a l:644 (was -) from d.berth-conflict-local-S/a | ' +
        'd/a=-, d=->t, d.berth-conflict-local-S=dir:755, d.berth-conflict-local-S/a=l:644',
    ],
    conflicts: [['d', 'd.berth-conflict-local-S']],
  },
  {
    name: 'folders created on both sides merge; only their differing children conflict',
    ancestor: {},
    local: { d: d(), 'd/a': f('a'), 'd/s': f('l') },
    container: { d: d(), 'd/b': f('b'), 'd/s': f('c') },
    steps: [
      '| d=dir:755',
      'C put d/a a:644 (was -) from d/a | d/a=a:644',
      'L put d/b b:644 (was -) from d/b | d/b=b:644',
      'L mv d/s d/s.berth-conflict-local-S (was l:644) ; L put d/s c:644 (was -) from d/s ; ' +
        'C put d/s.berth-conflict-local-S l:644 (was -) from d/s.berth-conflict-local-S | ' +
        'd/s=c:644, d/s.berth-conflict-local-S=l:644',
    ],
    conflicts: [['d/s', 'd/s.berth-conflict-local-S']],
  },
  {
    name: 'a copy name already taken on the local side gets -2',
    ancestor: { a: f('x') },
    local: { a: f('l'), 'a.berth-conflict-local-S': f('old') },
    container: { a: f('c'), 'a.berth-conflict-local-S': f('old') },
    conflicts: [['a', 'a.berth-conflict-local-S-2']],
  },
  {
    name: 'a copy name taken only on the container side gets -2',
    ancestor: { a: f('x') },
    local: { a: f('l') },
    container: { a: f('c'), 'a.berth-conflict-local-S': f('new') },
    conflicts: [['a', 'a.berth-conflict-local-S-2']],
  },
  {
    name: 'a copy name the ancestor knows gets -2',
    ancestor: { a: f('x'), 'a.berth-conflict-local-S': f('old') },
    local: { a: f('l') },
    container: { a: f('c') },
    conflicts: [['a', 'a.berth-conflict-local-S-2']],
  },
  {
    name: 'a conflict deep down with a name that is not UTF-8',
    ancestor: { d: d(), 'd/\xff': f('x') },
    local: { d: d(), 'd/\xff': f('l') },
    container: { d: d(), 'd/\xff': f('c') },
    conflicts: [['d/\xff', 'd/\xff.berth-conflict-local-S']],
  },

  // ── folder modes ──
  {
    name: 'local changes a folder mode while the container edits inside it: both go over',
    ancestor: { d: d(), 'd/a': f('x') },
    local: { d: d(0o700), 'd/a': f('x') },
    container: { d: d(), 'd/a': f('y') },
    steps: ['C chmod d 700 (was dir:755) | d=dir:700', 'L put d/a y:644 (was x:644) from d/a | d/a=y:644'],
  },
  {
    name: 'both change a folder mode differently: the container mode wins, no copy',
    ancestor: { d: d() },
    local: { d: d(0o700) },
    container: { d: d(0o775) },
    steps: ['L chmod d 775 (was dir:700) | d=dir:775'],
    conflicts: [],
  },
  {
    name: 'a new folder that shuts its owner out is created open and closed after its contents',
    ancestor: {},
    local: { d: d(0o555), 'd/a': f('x') },
    container: {},
    steps: [
      'C mkdir d 755 (was -) | d=dir:755',
      'C put d/a x:644 (was -) from d/a | d/a=x:644',
      'C chmod d 555 (was dir:755) | d=dir:555',
    ],
  },
  {
    name: 'a folder made read-only gets its mode after the changes inside it',
    ancestor: { d: d(), 'd/a': f('x') },
    local: { d: d(0o555), 'd/a': f('y') },
    container: { d: d(), 'd/a': f('x') },
    steps: ['C put d/a y:644 (was x:644) from d/a | d/a=y:644', 'C chmod d 555 (was dir:755) | d=dir:555'],
  },
  {
    name: 'a read-only folder in a conflict copy is closed after its contents, in the same step',
    ancestor: { a: f('x') },
    local: { a: d(0o500), 'a/n': f('n') },
    container: { a: f('c') },
    steps: [
      'L mv a a.berth-conflict-local-S (was dir:500) ; L put a c:644 (was -) from a ; ' +
        'C mkdir a.berth-conflict-local-S 700 (was -) ; ' +
        'C put a.berth-conflict-local-S/n n:644 (was -) from a.berth-conflict-local-S/n ; ' +
        'C chmod a.berth-conflict-local-S 500 (was dir:700) | ' +
        'a=c:644, a.berth-conflict-local-S=dir:500, a.berth-conflict-local-S/n=n:644',
    ],
    conflicts: [['a', 'a.berth-conflict-local-S']],
  },

  // ── deletion against modification: the modification wins ──
  {
    name: 'local deletes a file the container modified: it comes back on local',
    ancestor: { a: f('x'), k: f('k') },
    local: { k: f('k') },
    container: { a: f('y'), k: f('k') },
    steps: ['L put a y:644 (was -) from a | a=y:644'],
  },
  {
    name: 'container deletes a file local modified: it goes back to the container',
    ancestor: { a: f('x'), k: f('k') },
    local: { a: f('y'), k: f('k') },
    container: { k: f('k') },
    steps: ['C put a y:644 (was -) from a | a=y:644'],
  },
  {
    name: 'local deletes a file whose mode the container changed: it comes back',
    ancestor: { a: f('x'), k: f('k') },
    local: { k: f('k') },
    container: { a: f('x', 0o755), k: f('k') },
    steps: ['L put a x:755 (was -) from a | a=x:755'],
  },
  {
    name: 'container deletes a link local retargeted',
    ancestor: { l: ln('a'), k: f('k') },
    local: { l: ln('b'), k: f('k') },
    container: { k: f('k') },
    steps: ['C symlink l ->b (was -) | l=->b'],
  },
  {
    name: 'local deletes a folder the container added to: the whole folder comes back',
    ancestor: { d: d(), 'd/a': f('x'), k: f('k') },
    local: { k: f('k') },
    container: { d: d(), 'd/a': f('x'), 'd/n': f('n'), k: f('k') },
    steps: [
      'L mkdir d 755 (was -) | d=dir:755',
      'L put d/a x:644 (was -) from d/a | d/a=x:644',
      'L put d/n n:644 (was -) from d/n | d/n=n:644',
    ],
  },
  {
    name: 'local deletes a tree the container changed deep inside: the chain is re-created',
    ancestor: { d: d(), 'd/e': d(), 'd/e/a': f('x'), 'd/z': f('z'), k: f('k') },
    local: { k: f('k') },
    container: { d: d(), 'd/e': d(), 'd/e/a': f('y'), 'd/z': f('z'), k: f('k') },
    steps: [
      'L mkdir d 755 (was -) | d=dir:755',
      'L mkdir d/e 755 (was -) | d/e=dir:755',
      'L put d/e/a y:644 (was -) from d/e/a | d/e/a=y:644',
      'L put d/z z:644 (was -) from d/z | d/z=z:644',
    ],
  },
  {
    name: 'container deletes a folder local created a deep tree in',
    ancestor: { d: d(), k: f('k') },
    local: { d: d(), 'd/e': d(), 'd/e/f': d(), 'd/e/f/a': f('a'), k: f('k') },
    container: { k: f('k') },
    steps: [
      'C mkdir d 755 (was -) | d=dir:755',
      'C mkdir d/e 755 (was -) | d/e=dir:755',
      'C mkdir d/e/f 755 (was -) | d/e/f=dir:755',
      'C put d/e/f/a a:644 (was -) from d/e/f/a | d/e/f/a=a:644',
    ],
  },
  {
    name: 'local deletes a folder whose mode the container changed: it comes back with that mode',
    ancestor: { d: d(), 'd/a': f('x'), k: f('k') },
    local: { k: f('k') },
    container: { d: d(0o700), 'd/a': f('x'), k: f('k') },
    steps: ['L mkdir d 700 (was -) | d=dir:700', 'L put d/a x:644 (was -) from d/a | d/a=x:644'],
  },
  {
    name: 'local deletes a folder tree the container left alone: removed there, children first',
    ancestor: { d: d(), 'd/e': d(), 'd/e/a': f('x'), k: f('k') },
    local: { k: f('k') },
    container: { d: d(), 'd/e': d(), 'd/e/a': f('x'), k: f('k') },
    steps: [
      'C rm d/e/a (was x:644) | d/e/a=-',
      'C rm d/e (was dir:755) | d/e=-',
      'C rm d (was dir:755) | d=-',
    ],
  },
  {
    name: 'local deletes a folder where the container deleted one file and changed another',
    ancestor: { d: d(), 'd/a': f('x'), 'd/b': f('y'), 'd/c': f('z'), k: f('k') },
    local: { k: f('k') },
    container: { d: d(), 'd/a': f('x2'), 'd/c': f('z'), k: f('k') },
    steps: [
      '| d/b=-',
      'L mkdir d 755 (was -) | d=dir:755',
      'L put d/a x2:644 (was -) from d/a | d/a=x2:644',
      'L put d/c z:644 (was -) from d/c | d/c=z:644',
    ],
  },
  {
    name: 'local deletes a folder in which the container turned a file into a folder',
    ancestor: { d: d(), 'd/a': f('x'), k: f('k') },
    local: { k: f('k') },
    container: { d: d(), 'd/a': d(), 'd/a/n': f('n'), k: f('k') },
    steps: [
      'L mkdir d 755 (was -) | d=dir:755',
      'L mkdir d/a 755 (was -) | d/a=dir:755',
      'L put d/a/n n:644 (was -) from d/a/n | d/a/n=n:644',
    ],
  },
  {
    name: 'container deletes a file local turned into a folder',
    ancestor: { a: f('x'), k: f('k') },
    local: { a: d(), 'a/n': f('n'), k: f('k') },
    container: { k: f('k') },
    steps: ['C mkdir a 755 (was -) | a=dir:755', 'C put a/n n:644 (was -) from a/n | a/n=n:644'],
  },
  {
    name: 'container deletes a folder local replaced by a file',
    ancestor: { d: d(), 'd/a': f('x'), k: f('k') },
    local: { d: f('z'), k: f('k') },
    container: { k: f('k') },
    steps: ['| d/a=-', 'C put d z:644 (was -) from d | d=z:644'],
  },

  // ── first sync (no ancestor): nothing is deleted ──
  {
    name: 'first sync of disjoint trees copies each way',
    ancestor: null,
    local: { a: f('a') },
    container: { b: f('b'), d: d(), 'd/c': f('c') },
    steps: [
      '| =dir:755',
      'C put a a:644 (was -) from a | a=a:644',
      'L put b b:644 (was -) from b | b=b:644',
      'L mkdir d 755 (was -) | d=dir:755',
      'L put d/c c:644 (was -) from d/c | d/c=c:644',
    ],
  },
  {
    name: 'first sync of equal trees only records them',
    ancestor: null,
    local: { a: f('a'), d: d(), 'd/c': f('c') },
    container: { a: f('a'), d: d(), 'd/c': f('c') },
    steps: ['| =dir:755, a=a:644, d=dir:755, d/c=c:644'],
  },
  {
    name: 'first sync: a path that differs is a conflict',
    ancestor: null,
    local: { a: f('l') },
    container: { a: f('c') },
    conflicts: [['a', 'a.berth-conflict-local-S']],
  },
  {
    name: 'first sync: a file against a folder is a conflict',
    ancestor: null,
    local: { a: f('l') },
    container: { a: d(), 'a/n': f('n') },
    conflicts: [['a', 'a.berth-conflict-local-S']],
  },
  {
    name: 'first sync: folders with different modes take the container mode',
    ancestor: null,
    local: { d: d(0o700) },
    container: { d: d() },
    steps: ['| =dir:755', 'L chmod d 755 (was dir:700) | d=dir:755'],
  },
  {
    name: 'first sync into an empty container (a recreated volume) deletes nothing on the host',
    ancestor: null,
    local: { a: f('a'), d: d(), 'd/b': f('b') },
    container: {},
    steps: [
      '| =dir:755',
      'C put a a:644 (was -) from a | a=a:644',
      'C mkdir d 755 (was -) | d=dir:755',
      'C put d/b b:644 (was -) from d/b | d/b=b:644',
    ],
  },
  {
    name: 'first sync with the container root missing creates it',
    ancestor: null,
    local: { a: f('a') },
    container: null,
    steps: ['C mkdir  755 (was -) | =dir:755', 'C put a a:644 (was -) from a | a=a:644'],
  },

  // ── scan problems shield what they cover ──
  {
    name: 'a problem on local shields a file the container deleted',
    ancestor: { a: f('x'), k: f('k') },
    local: { k: f('k') },
    localProblems: ['a'],
    container: { k: f('k') },
    steps: [],
    skipped: ['a'],
  },
  {
    name: 'a file that cannot be read is not taken as deleted',
    ancestor: { a: f('x'), k: f('k') },
    local: { k: f('k') },
    localProblems: ['a'],
    container: { a: f('x'), k: f('k') },
    steps: [],
    skipped: ['a'],
  },
  {
    name: 'a new file with a problem on the other side is not copied',
    ancestor: { k: f('k') },
    local: { k: f('k'), a: f('x') },
    container: { k: f('k') },
    containerProblems: ['a'],
    steps: [],
    skipped: ['a'],
  },
  {
    name: 'an unreadable folder shields everything below it, on both sides',
    ancestor: { d: d(), 'd/a': f('x'), k: f('k') },
    local: { d: d(), 'd/a': f('y'), 'd/n': f('n'), k: f('k') },
    container: { k: f('k') },
    containerProblems: ['d'],
    steps: [],
    skipped: ['d', 'd/a', 'd/n'],
  },
  {
    name: 'a folder above a problem is never removed: local deleted it, the container cannot list all of it',
    ancestor: { d: d(), 'd/a': f('x'), 'd/b': f('y'), k: f('k') },
    local: { k: f('k') },
    container: { d: d(), 'd/b': f('y'), k: f('k') },
    containerProblems: ['d/a'],
    steps: [],
    skipped: ['d', 'd/a', 'd/b'],
  },
  {
    name: 'a folder above a problem is not replaced by a file',
    ancestor: { d: d(), 'd/a': f('x') },
    local: { d: d() },
    localProblems: ['d/a'],
    container: { d: f('z') },
    steps: [],
    skipped: ['d', 'd/a'],
  },
  {
    name: 'a problem at the root leaves everything alone',
    ancestor: { a: f('x') },
    local: {},
    localProblems: [''],
    container: { a: f('y'), b: f('b') },
    steps: [],
    skipped: ['', 'a', 'b'],
  },
  {
    name: 'a problem elsewhere does not stop other changes',
    ancestor: { a: f('x'), b: f('b') },
    local: { b: f('b2') },
    localProblems: ['a'],
    container: { a: f('x'), b: f('b') },
    steps: ['C put b b2:644 (was b:644) from b | b=b2:644'],
    skipped: ['a'],
  },

  // ── halts: no steps at all ──
  {
    name: 'the local root deleted halts',
    ancestor: { a: f('x') },
    local: null,
    container: { a: f('x') },
    halt: 'root-deleted local',
  },
  {
    name: 'the container root deleted halts',
    ancestor: { a: f('x') },
    local: { a: f('x') },
    container: null,
    halt: 'root-deleted container',
  },
  {
    name: 'a root that is no longer a folder halts',
    ancestor: { a: f('x') },
    local: { a: f('x') },
    container: null,
    containerRoot: 'not-a-dir',
    halt: 'root-type-changed container',
  },
  {
    name: 'a root emptied on one side halts (rm -rf *)',
    ancestor: { a: f('x'), d: d(), 'd/b': f('y') },
    local: {},
    container: { a: f('x'), d: d(), 'd/b': f('y') },
    halt: 'root-emptied local',
  },
  {
    name: 'a root emptied on the container halts even though local changed things',
    ancestor: { a: f('x'), b: f('y') },
    local: { a: f('x2'), b: f('y') },
    container: {},
    halt: 'root-emptied container',
  },
  {
    name: 'a root emptied on both sides is an agreement, not a halt',
    ancestor: { a: f('x'), b: f('y') },
    local: {},
    container: {},
    steps: ['| a=-, b=-'],
  },
  {
    name: 'a root with one entry emptied is an ordinary deletion',
    ancestor: { a: f('x') },
    local: {},
    container: { a: f('x') },
    steps: ['C rm a (was x:644) | a=-'],
  },
  {
    name: 'a side whose only top-level entry is a problem is not emptied',
    ancestor: { a: f('x'), b: f('y') },
    local: {},
    localProblems: ['a'],
    container: { a: f('x'), b: f('y') },
    steps: ['C rm b (was y:644) | b=-'],
    skipped: ['a'],
  },
  {
    name: 'more removes than the limit on one side halt',
    ancestor: { a: f('1'), b: f('2'), c: f('3'), k: f('k') },
    local: { k: f('k') },
    container: { a: f('1'), b: f('2'), c: f('3'), k: f('k') },
    massDeleteLimit: 2,
    halt: 'mass-delete container',
  },
  {
    name: 'removes up to the limit go ahead',
    ancestor: { a: f('1'), b: f('2'), k: f('k') },
    local: { k: f('k') },
    container: { a: f('1'), b: f('2'), k: f('k') },
    massDeleteLimit: 2,
    steps: ['C rm a (was 1:644) | a=-', 'C rm b (was 2:644) | b=-'],
  },

  // ── robustness and order ──
  {
    name: 'ancestor entries below a non-folder are dropped',
    ancestor: { a: f('x'), 'a/ghost': f('g') },
    local: { a: f('x') },
    container: { a: f('x') },
    steps: ['| a/ghost=-'],
  },
  {
    name: 'an unreachable ancestor entry under a problem stays',
    ancestor: { a: f('x'), 'a/ghost': f('g'), b: f('b') },
    local: { a: f('x'), b: f('b') },
    localProblems: ['a/ghost'],
    container: { a: f('x'), b: f('b') },
    steps: [],
    skipped: ['a/ghost'],
  },
  {
    name: 'a scanned entry without its parent folder is ignored',
    ancestor: {},
    local: { 'nodir/a': f('x') },
    container: {},
    steps: [],
    malformed: true,
  },
  {
    name: 'malformed scanned paths are never copied',
    ancestor: {},
    local: {},
    container: {
      a: d(),
      'a/': f('x'),
      'a/..': f('x'),
      'a/.': d(),
      'a//b': f('x'),
      '/a': f('x'),
      'a/\0': f('x'),
      'a/...': f('ok'),
    },
    steps: ['L mkdir a 755 (was -) | a=dir:755', 'L put a/... ok:644 (was -) from a/... | a/...=ok:644'],
    malformed: true,
  },
  {
    name: 'paths are walked in byte order',
    ancestor: {},
    local: { 'a b': f('1'), a: d(), 'a/z': f('2'), 'a\xff': f('3'), B: f('4'), '\xc3\xbc': f('5') },
    container: {},
    steps: [
      'C put B 4:644 (was -) from B | B=4:644',
      'C mkdir a 755 (was -) | a=dir:755',
      'C put a/z 2:644 (was -) from a/z | a/z=2:644',
      'C put a b 1:644 (was -) from a b | a b=1:644',
      'C put a\xff 3:644 (was -) from a\xff | a\xff=3:644',
      'C put \xc3\xbc 5:644 (was -) from \xc3\xbc | \xc3\xbc=5:644',
    ],
  },
  {
    name: 'creations and removals on both sides at once keep parents around their children',
    ancestor: { old: d(), 'old/x': f('x'), keep: d() },
    local: { keep: d(), 'keep/n': d(), 'keep/n/a': f('a') },
    container: { old: d(), 'old/x': f('x'), keep: d(), gone: d(), 'gone/b': f('b') },
    steps: [
      'L mkdir gone 755 (was -) | gone=dir:755',
      'L put gone/b b:644 (was -) from gone/b | gone/b=b:644',
      'C mkdir keep/n 755 (was -) | keep/n=dir:755',
      'C put keep/n/a a:644 (was -) from keep/n/a | keep/n/a=a:644',
      'C rm old/x (was x:644) | old/x=-',
      'C rm old (was dir:755) | old=-',
    ],
  },
];

describe('reconcile, case by case', () => {
  it('has a good number of cases with distinct names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  for (const c of CASES) {
    it(c.name, () => {
      const input = inputOf(c);
      const plan = reconcile(input);
      if (c.halt !== undefined) {
        expect(plan.halt && `${plan.halt.reason} ${plan.halt.side}`).toBe(c.halt);
        expect(plan.steps).toEqual([]);
        return;
      }
      expect(plan.halt).toBeUndefined();
      if (c.steps) expect(showPlan(plan)).toEqual(c.steps);
      if (c.conflicts) expect(plan.conflicts.map((x) => [x.path, x.copy])).toEqual(c.conflicts);
      else if (c.steps) expect(plan.conflicts).toEqual([]);
      expect(plan.skipped).toEqual(c.skipped ?? []);
      // every plan runs cleanly; without problems it converges and is quiet afterwards
      const pair = {
        local: new Map(input.local),
        container: new Map(input.container),
        ancestor: new Map(input.ancestor),
      };
      expect(applyPlan(plan, pair).failures).toEqual([]);
      if (plan.skipped.length > 0 || c.malformed) return;
      expect(treeDifference(pair.local, pair.container)).toBeUndefined();
      expect(treeDifference(pair.ancestor, pair.local)).toBeUndefined();
      expect(reconcile({ ...input, ...pair, containerRoot: 'dir', localRoot: 'dir' }).steps).toEqual([]);
    });
  }
});

describe('reconcile, the rest of its contract', () => {
  it('records both versions of a conflict', () => {
    const plan = reconcile(
      inputOf({ name: '', ancestor: { a: f('x') }, local: { a: f('l') }, container: { a: d() } }),
    );
    expect(plan.conflicts).toEqual([
      { path: 'a', local: f('l'), container: d(), copy: 'a.berth-conflict-local-S' },
    ]);
  });

  it('halts on more than 1,000 removes on one side when 10% of the ancestor is fewer', () => {
    const ancestor: Spec = {};
    const container: Spec = {};
    for (let i = 0; i < 2000; i++) ancestor[`f${i}`] = container[`f${i}`] = f('x');
    const local: Spec = Object.fromEntries(Object.entries(ancestor).slice(0, 999));
    const plan = reconcile(inputOf({ name: '', ancestor, local, container }));
    expect(plan.halt).toEqual({
      reason: 'mass-delete',
      side: 'container',
      detail: 'the cycle would remove 1001 entries on the container side, more than the limit of 1000',
    });
    expect(plan.steps).toEqual([]);
    const fewer = reconcile(inputOf({ name: '', ancestor, local: { ...local, f1999: f('x') }, container }));
    expect(fewer.halt).toBeUndefined();
    expect(fewer.steps.flatMap((s) => s.ops)).toHaveLength(1000);
  });

  it('allows removes up to 10% of a large ancestor', () => {
    const ancestor: Spec = {};
    for (let i = 0; i < 12_000; i++) ancestor[`f${i}`] = f('x');
    const local: Spec = Object.fromEntries(Object.entries(ancestor).slice(1100));
    // 12,001 ancestor entries with the root: the limit is 1,201
    expect(reconcile(inputOf({ name: '', ancestor, local, container: ancestor })).halt).toBeUndefined();
    const more: Spec = Object.fromEntries(Object.entries(ancestor).slice(1202));
    expect(reconcile(inputOf({ name: '', ancestor, local: more, container: ancestor })).halt?.reason).toBe(
      'mass-delete',
    );
  });

  it('refuses a scan that contradicts its root, and a stamp that is no name', () => {
    const input = inputOf({ name: '', ancestor: {}, local: {}, container: {} });
    expect(() => reconcile({ ...input, local: new Map() })).toThrow(
      /local scan says its root is a folder but its entries lack the root/,
    );
    expect(() => reconcile({ ...input, stamp: '2026/12' })).toThrow(/stamp must be/);
    expect(() => reconcile({ ...input, containerRoot: 'missing' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error,
    );
  });

  it('plans 100,000 unchanged entries quickly', () => {
    const spec: Spec = {};
    for (let i = 0; i < 1000; i++) {
      spec[`d${i}`] = d();
      for (let j = 0; j < 99; j++) spec[`d${i}/f${j}`] = f(`x${j}`);
    }
    const input = inputOf({ name: '', ancestor: spec, local: spec, container: spec });
    const started = Date.now();
    expect(reconcile(input).steps).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000); // ~0.2 s here; a generous margin on a busy machine
  });
});

describe('conflict copy names', () => {
  const free = (): boolean => false;

  it('sit beside the path, named for the side and the time', () => {
    expect(conflictCopyName('a', 'local', '20261201T190512Z', free)).toBe(
      'a.berth-conflict-local-20261201T190512Z',
    );
    expect(conflictCopyName('src/x y.ts', 'container', 'T1', free)).toBe(
      'src/x y.ts.berth-conflict-container-T1',
    );
    expect(conflictCopyName('d/\xff', 'local', 'T1', free)).toBe('d/\xff.berth-conflict-local-T1');
  });

  it('count up while a name is taken', () => {
    const taken = new Set(['a.berth-conflict-local-T', 'a.berth-conflict-local-T-2']);
    expect(conflictCopyName('a', 'local', 'T', (p) => taken.has(p))).toBe('a.berth-conflict-local-T-3');
  });

  it('shorten a long name to fit 255 bytes, never through a UTF-8 sequence', () => {
    const long = 'x'.repeat(250);
    const copy = conflictCopyName(`d/${long}`, 'local', 'T', free);
    expect(copy).toBe(`d/${'x'.repeat(255 - '.berth-conflict-local-T'.length)}.berth-conflict-local-T`);
    expect(copy.length - 2).toBe(255);
    // 'ü' is two bytes (c3 bc); a cut between them drops the whole character
    const cut = 255 - '.berth-conflict-local-T'.length;
    const name = `${'x'.repeat(cut - 1)}\xc3\xbc${'y'.repeat(10)}`;
    expect(conflictCopyName(name, 'local', 'T', free)).toBe(`${'x'.repeat(cut - 1)}.berth-conflict-local-T`);
  });

  it('refuse the root and stamps that could make a path', () => {
    expect(() => conflictCopyName('', 'local', 'T', free)).toThrow(/root has no conflict copy/);
    expect(() => conflictCopyName('a', 'local', '../x', free)).toThrow(/stamp must be/);
    expect(() => conflictCopyName('a', 'local', 'a/b', free)).toThrow(/stamp must be/);
  });

  it('give up with a clear error when every name is taken', () => {
    expect(() => conflictCopyName('a', 'local', 'T', () => true)).toThrow(/No free conflict copy name/);
  });
});

describe('entry equality', () => {
  it('compares what a version is: content and mode, a dir mode, a link target', () => {
    expect(entriesEqual(f('x'), { kind: 'file', digest: 'x', size: 1, mode: 0o644 })).toBe(true);
    expect(entriesEqual(f('x'), f('y'))).toBe(false);
    expect(entriesEqual(f('x'), f('x', 0o755))).toBe(false);
    expect(entriesEqual(d(), d())).toBe(true);
    expect(entriesEqual(d(), d(0o700))).toBe(false);
    expect(entriesEqual(ln('a'), ln('a'))).toBe(true);
    expect(entriesEqual(ln('a'), ln('b'))).toBe(false);
    expect(entriesEqual(ln('a'), f('a'))).toBe(false);
    expect(entriesEqual(null, undefined)).toBe(true);
    expect(entriesEqual(null, d())).toBe(false);
    expect(entriesEqual(d(), undefined)).toBe(false);
  });
});
