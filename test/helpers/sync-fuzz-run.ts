import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SyncPair, type CycleReport } from '../../src/sync/sync-pair.js';
import type { Halt } from '../../src/sync/reconcile/reconcile.js';
import { LocalReplica } from '../../src/workspace/sync-tree/local-replica.js';
import { FaultyReplica, InjectedFault, type Fault } from './sync-fuzz-faults.js';
import { VersionOracle } from './sync-fuzz-oracle.js';
import { FuzzRng } from './sync-fuzz-rng.js';
import { walkSide } from './sync-fuzz-tree.js';
import { UserOps, VersionSource, type UserEffect } from './sync-fuzz-user.js';
import { openLocalPair } from './sync-local-pair.js';
import { dumpTree, sortedEntries } from './tree-dump.js';

type Side = 'local' | 'container';
const SIDES: readonly Side[] = ['local', 'container'];

export interface FuzzOptions {
  seed: number;
  /** Steps: user operations, cycles, barriers and restarts all count. */
  ops: number;
  /**
   * A deliberately broken sync for the fuzz's own test: after every cycle, both attics lose
   * their files (as if sync did not keep what it replaced); the oracle must notice.
   */
  sabotageAttic?: boolean;
  /** Another broken sync: the container side's mkdirs report success and do nothing. */
  sabotageMkdirs?: boolean;
}

export interface FuzzStats {
  steps: number;
  userOps: number;
  cycles: number;
  barriers: number;
  faults: number;
  restarts: number;
  halts: number;
  conflicts: number;
  versions: number;
  required: number;
  /** Entries in the local tree at the end. */
  entries: number;
  ms: number;
  /** Of `ms`: in the oracle's observations, and in the pair's cycles and barriers. */
  msOracle: number;
  msSync: number;
}

const HISTORY = 20;

/**
 * The model-based fuzz of a two-way sync pair: random user operations on both folders,
 * cycles (some with an injected fault, then a restart over the same store and folders),
 * barriers after which both trees must be equal and a second barrier must move nothing, and
 * after every sync step the version oracle (sync-fuzz-oracle.ts). Throws on the first
 * violation, naming the seed, the step and the last operations.
 */
export async function runSyncFuzz(options: FuzzOptions): Promise<FuzzStats> {
  const started = Date.now();
  const { seed } = options;
  const rng = new FuzzRng(seed);
  const versions = new VersionSource(rng);
  const user = new UserOps(rng, versions);
  let tick = Date.parse('2026-12-01T00:00:00Z');
  const now = () => new Date((tick += 1000));
  const base = openLocalPair();
  const roots: Record<Side, string> = { local: base.localRoot, container: base.containerRoot };
  const oracle = new VersionOracle(roots);
  const stats: FuzzStats = {
    steps: 0,
    userOps: 0,
    cycles: 0,
    barriers: 0,
    faults: 0,
    restarts: 0,
    halts: 0,
    conflicts: 0,
    versions: 0,
    required: 0,
    entries: 0,
    ms: 0,
    msOracle: 0,
    msSync: 0,
  };
  const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await fn();
    } finally {
      stats.msSync += Date.now() - t;
    }
  };
  const log: string[] = [];
  let step = 0;
  const note = (line: string) => {
    log.push(`#${step} ${line}`);
    if (log.length > 200) log.splice(0, 100);
  };
  const fail = (why: string): never => {
    throw new Error(
      `sync fuzz failed: seed ${seed}, step ${step}: ${why}\n` +
        `replay: SYNC_FUZZ_SEED=${seed} npx vitest run test/sync-fuzz.test.ts\n` +
        `folders: ${roots.local} ${roots.container}\n` +
        `last ${Math.min(HISTORY, log.length)} operations:\n  ${log.slice(-HISTORY).join('\n  ')}`,
    );
  };

  const open = (): Record<Side, FaultyReplica> => {
    const opened = {
      local: new FaultyReplica(new LocalReplica({ root: roots.local, side: 'local' })),
      container: new FaultyReplica(new LocalReplica({ root: roots.container, side: 'container' })),
    };
    opened.container.dropMkdirs = options.sabotageMkdirs ?? false;
    return opened;
  };
  let replicas = open();
  const makePair = () =>
    new SyncPair({
      hubId: 'testhub',
      project: 'p',
      home: base.home,
      hostPath: roots.local,
      local: replicas.local,
      container: replicas.container,
      table: base.store.sync(),
      ignore: ['.git'],
      now,
    });
  let pair = makePair();

  /** A hub restart: fresh replicas (no digest cache, no open fds) and a fresh pair, same store. */
  const restart = async (why: string) => {
    await Promise.all(SIDES.map((s) => replicas[s].close()));
    replicas = open();
    pair = makePair();
    stats.restarts++;
    note(`restart (${why})`);
  };

  const userDid = (effect: UserEffect) => {
    oracle.userDid(effect);
    stats.versions += effect.created.length;
  };

  const checkVersions = (when: string) => {
    const lost = oracle.lost();
    if (lost.length > 0)
      fail(
        `${lost.length} version(s) lost ${when}: ` +
          lost
            .slice(0, 5)
            .map((l) => `${JSON.stringify(l.version)} (last seen at ${l.lastSeen})`)
            .join(', '),
      );
  };

  const observeAndCheck = (when: string, verifyAttic = false) => {
    if (options.sabotageAttic) for (const s of SIDES) emptyAttic(roots[s]);
    const t = Date.now();
    oracle.observe(verifyAttic);
    stats.msOracle += Date.now() - t;
    checkVersions(when);
  };

  /** A halt is fine only for its defined cause; the fuzz then does what a user would. */
  const handleHalt = (halt: Halt) => {
    stats.halts++;
    note(`halt: ${halt.reason} on the ${halt.side} side`);
    if (halt.reason !== 'root-emptied') fail(`an unexpected halt: ${halt.reason} (${halt.detail})`);
    const top = [...walkSide(roots[halt.side]).keys()].filter((p) => !p.includes('/'));
    if (top.length > 0) fail(`a root-emptied halt on the ${halt.side} side, which holds ${top.join(', ')}`);
    const ancestorTop = [...pair.currentAncestor().keys()].filter((p) => p !== '' && !p.includes('/'));
    if (ancestorTop.length < 2)
      fail(`a root-emptied halt with ${ancestorTop.length} top-level entries in the ancestor`);
    const effect = user.refill(roots[halt.side], halt.side);
    userDid(effect);
    note(effect.what);
  };

  const randomFault = (): Fault => {
    switch (rng.weighted({ apply: 4, stage: 1.5, read: 1.5, concurrent: 3 })) {
      case 'apply':
        return { kind: 'apply-kill', after: rng.int(6) };
      case 'stage':
        return { kind: 'stage-kill', after: rng.int(3) };
      case 'read':
        return { kind: 'read-cut', after: rng.int(3), end: rng.chance(0.5) };
      case 'concurrent':
        return { kind: 'concurrent' };
    }
  };

  const disarm = () => {
    for (const s of SIDES) {
      replicas[s].fault = undefined;
      replicas[s].fired = undefined;
    }
  };

  const cycleStep = async () => {
    stats.cycles++;
    const side = rng.pick(SIDES);
    const fault = rng.chance(0.3) ? randomFault() : undefined;
    disarm();
    if (fault) {
      replicas[side].fault = fault;
      replicas[side].onConcurrent = () => {
        oracle.observe();
        checkVersions('before a change during a cycle');
        const effect = user.run(roots[side], side);
        userDid(effect);
        note(`  (during the cycle) ${effect.what}`);
      };
    }
    note(`cycle${fault ? ` (fault armed: ${side} ${JSON.stringify(fault)})` : ''}`);
    let report: CycleReport | undefined;
    try {
      report = await timed(() => pair.cycle());
    } catch (err) {
      if (!isInjected(err)) fail(`a cycle threw: ${(err as Error).stack ?? String(err)}`);
      stats.faults++;
      note(
        `  killed: ${
          SIDES.map((s) => replicas[s].fired)
            .filter(Boolean)
            .join('; ') || String(err)
        }`,
      );
      disarm();
      await restart('after the kill');
    }
    const fired = SIDES.map((s) => replicas[s].fired).filter(Boolean);
    if (fired.length) {
      stats.faults++;
      note(`  fired: ${fired.join('; ')}`);
    }
    disarm();
    if (report) {
      stats.conflicts += report.conflicts.length;
      note(
        `  moved ${report.toLocal} to local, ${report.toContainer} to container` +
          (report.conflicts.length ? `, conflicts ${report.conflicts.map((c) => c.copy).join(' ')}` : '') +
          (report.retry.length ? `, retry ${report.retry.map((r) => `${r.side}:${r.path}`).join(' ')}` : ''),
      );
      if (report.halt) handleHalt(report.halt);
    }
    observeAndCheck('after a cycle');
  };

  const barrierStep = async () => {
    stats.barriers++;
    disarm();
    note('BARRIER');
    let report = await runOrFail(() => pair.barrier());
    for (let i = 0; report.halt && i < 3; i++) {
      handleHalt(report.halt);
      report = await runOrFail(() => pair.barrier());
    }
    if (report.halt) fail(`the pair stays halted: ${report.halt.reason}`);
    stats.conflicts += report.conflicts.length;
    note(`  moved ${report.toLocal} to local, ${report.toContainer} to container`);
    observeAndCheck('after a barrier', true);
    const local = sortedEntries(dumpTree(roots.local));
    const container = sortedEntries(dumpTree(roots.container));
    const diff = treeDiff(local, container);
    if (diff.length > 0)
      fail(
        `the trees differ after a barrier:\n    ${diff.slice(0, 12).join('\n    ')}` +
          (report.problems.length
            ? `\n  scan problems: ${report.problems.map((p) => `${p.side}:${p.path} ${p.reason}`).join('; ')}`
            : '') +
          (report.retry.length
            ? `\n  retry: ${report.retry.map((r) => `${r.side}:${r.path} ${r.reason}`).join('; ')}`
            : ''),
      );
    const again = await runOrFail(() => pair.barrier());
    if (again.toLocal + again.toContainer > 0 || again.retry.length > 0 || again.halt)
      fail(
        `a second barrier was not idle: ${again.toLocal} to local, ${again.toContainer} to container, ` +
          `moved ${again.moved.map((m) => `${m.side}:${m.op} ${m.path}`).join(' ')}, ` +
          `retry ${again.retry.map((r) => `${r.side}:${r.path} ${r.reason}`).join('; ')}`,
      );
  };

  const runOrFail = async (fn: () => Promise<CycleReport>): Promise<CycleReport> => {
    try {
      return await timed(fn);
    } catch (err) {
      return fail(`a barrier threw: ${(err as Error).stack ?? String(err)}`);
    }
  };

  try {
    oracle.observe();
    for (step = 1; step <= options.ops; step++) {
      stats.steps++;
      const r = rng.next();
      if (r < 0.012) await barrierStep();
      else if (r < 0.13) await cycleStep();
      else if (r < 0.135) await restart('a plain restart');
      else {
        stats.userOps++;
        const side = rng.pick(SIDES);
        const effect = user.run(roots[side], side);
        userDid(effect);
        note(effect.what);
        checkVersions('after a user operation'); // holds by construction: a check of the model
      }
    }
    step = options.ops + 1;
    await barrierStep();
    stats.required = oracle.size;
    stats.entries = walkSide(roots.local).size;
    stats.ms = Date.now() - started;
    return stats;
  } finally {
    await Promise.all(SIDES.map((s) => replicas[s].close()));
    await base.close();
  }
}

function isInjected(err: unknown): boolean {
  if (err instanceof InjectedFault) return true;
  // the pair may wrap a fault in its own error (a stage that failed as a whole)
  return err instanceof Error && /read cut|stage killed|apply killed/.test(err.message);
}

/** Lines saying where two sorted dumps differ. */
function treeDiff(a: [string, string][], b: [string, string][]): string[] {
  const left = new Map(a);
  const right = new Map(b);
  const out: string[] = [];
  for (const path of new Set([...left.keys(), ...right.keys()])) {
    const l = left.get(path);
    const r = right.get(path);
    if (l !== r) out.push(`${path}: local ${l ?? '(none)'} | container ${r ?? '(none)'}`);
  }
  return out.sort();
}

/** The sabotage: every file of a side's attic goes (the folders stay, as the attic holds them open). */
function emptyAttic(root: string): void {
  const attic = join(root, '.berth-sync', 'attic');
  let subs: string[];
  try {
    subs = readdirSync(attic, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return;
  }
  for (const sub of subs)
    for (const name of readdirSync(join(attic, sub))) unlinkSync(join(attic, sub, name));
}
