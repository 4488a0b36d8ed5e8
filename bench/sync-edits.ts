import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CycleReport } from '../src/sync/sync-pair.js';
import { mustRun } from './child.js';
import { expectSame } from './checks.js';
import type { Comparison } from './comparison.js';
import { log } from './report.js';
import { containerDigestsOf } from './sync-baselines.js';
import { openSyncHub } from './sync-hub.js';
import { ContainerProbe, probeContent } from './sync-probe.js';
import { absoluteRow } from './sync-rows.js';
import { sha256Lines, writeTree, type TreeShape } from './sync-tree.js';

export const EDIT_TREE: TreeShape = { files: 40_000, folders: 400, fileBytes: 1024 };
const CHANGED_BY_CHECKOUT = 5000;
/** Files saved one at a time, each way; they live in edits/, which git does not track. */
const SAVES_EACH_WAY = 40;
const CHECKOUTS = 2;
const SAVE_AIM = { p50: 80, p95: 150 };
const CHECKOUT_AIM_MS = 3000;
/** A save not seen on the other side in this long fails the row. */
const SAVE_TIMEOUT_MS = 20_000;
const CHECKOUT_TIMEOUT_MS = 180_000;
/** Between saves: the other side's watcher sees the write sync made and runs a no-op cycle. */
const SETTLE_MS = 250;
const HOST_POLL_MS = 2;
const PROJECT = 'edit';

/**
 * Rows 3 and 4 on one 40,000-file synced project with `watch()` running: single saves each way
 * (host: write the file, a probe in the project's container polls for it; container: the probe
 * writes, this process polls the host file every 2 ms), then `git checkout`s that rewrite 5,000
 * of the files, timed from the checkout's start to the cycle after which every changed file has
 * the branch's digest in the container.
 */
export async function benchEdits(dir: string, runs: number, signal: AbortSignal): Promise<Comparison[]> {
  const saves = Math.min(SAVES_EACH_WAY, runs);
  const hub = await openSyncHub(join(dir, 'hub'), [PROJECT]);
  const folder = hub.folder(PROJECT);
  let probe: ContainerProbe | undefined;
  let stop: (() => Promise<void>) | undefined;
  try {
    log(`sync: writing the ${EDIT_TREE.files}-file tree and its git branches`);
    const tree = writeTree(folder, EDIT_TREE);
    const edits = Array.from({ length: 2 * saves }, (_, i) => `edits/e${String(i).padStart(3, '0')}.txt`);
    mkdirSync(join(folder, 'edits'));
    for (const rel of edits) writeFileSync(join(folder, rel), probeContent('initial'));
    const changed = await makeBranches(folder, tree.paths);

    log(`sync: bringing the project up (first sync of ${EDIT_TREE.files} files)`);
    await hub.up([PROJECT]);
    const ids = await hub.containers(PROJECT);
    const started = performance.now();
    await hub.sync.barrier(PROJECT);
    const rescanMs = performance.now() - started;

    const reports: { at: number; report: CycleReport }[] = [];
    const errors: string[] = [];
    stop = await hub.sync.watch([PROJECT], {
      onReport: (_p, report) => reports.push({ at: performance.now(), report }),
      onError: (_p, err) => errors.push(String(err)),
    });
    await sleep(2 * rescanMs + 1000);
    probe = new ContainerProbe(ids.project);

    log(`sync: ${saves} saves each way, alternating, with watch() running`);
    const toContainer: number[] = [];
    const toHost: number[] = [];
    for (let i = 0; i < 2 * saves; i++) {
      signal.throwIfAborted();
      const rel = edits[i]!;
      const token = `save-${i}-${randomBytes(6).toString('hex')}`;
      if (i % 2 === 0) {
        // host → container: the probe starts polling first, then the host writes
        const seen = probe.send('p', rel, token, SAVE_TIMEOUT_MS);
        await sleep(5);
        const t0 = performance.now();
        writeFileSync(join(folder, rel), probeContent(token));
        toContainer.push((await seen).at - t0);
      } else {
        const t0 = performance.now();
        const wrote = probe.send('w', rel, token, SAVE_TIMEOUT_MS);
        toHost.push((await untilHostHas(join(folder, rel), probeContent(token))) - t0);
        if ((await wrote).text !== 'wrote') throw new Error(`the probe could not write ${rel}`);
      }
      await sleep(SETTLE_MS);
    }
    await expectContainerHas(ids.project, folder, edits, 'the saved files');

    log(`sync: ${CHECKOUTS} git checkouts rewriting ${changed.length} files each`);
    const checkouts: number[] = [];
    const branches = ['other', 'main'];
    for (let i = 0; i < Math.min(CHECKOUTS, runs); i++) {
      signal.throwIfAborted();
      const from = reports.length;
      const t0 = performance.now();
      await mustRun('git', ['-C', folder, 'checkout', '-q', branches[i % 2]!]);
      const converged = await untilConverged(ids.project, folder, changed, reports, from, t0, signal);
      checkouts.push(converged - t0);
      await sleep(SETTLE_MS);
    }
    const conflicts = reports.reduce((n, r) => n + r.report.conflicts.length, 0);
    const status = hub.sync.status(PROJECT);
    if (conflicts > 0 || status.conflicts.length > 0)
      throw new Error(`the edits made ${conflicts} conflict(s); status lists ${status.conflicts.length}`);
    if (errors.length > 0) throw new Error(`watch() reported errors: ${errors.join('; ')}`);

    const treeText = `${EDIT_TREE.files}-file tree`;
    const saveAim = {
      text: `p50 ≤ ${SAVE_AIM.p50} ms, p95 ≤ ${SAVE_AIM.p95} ms`,
      limits: [SAVE_AIM.p50, SAVE_AIM.p95],
    };
    return [
      absoluteRow(
        `one 4 KiB file saved on the host, seen in the container, ${treeText}`,
        'ms',
        toContainer,
        [50, 95],
        saveAim,
      ),
      absoluteRow(
        `one 4 KiB file saved in the container, seen on the host, ${treeText}`,
        'ms',
        toHost,
        [50, 95],
        saveAim,
      ),
      absoluteRow(
        `git checkout rewriting ${changed.length} of ${EDIT_TREE.files} files, until converged`,
        'ms',
        checkouts,
        [50, 100],
        {
          text: `every checkout ≤ ${CHECKOUT_AIM_MS} ms, no conflict`,
          limits: [CHECKOUT_AIM_MS, CHECKOUT_AIM_MS],
        },
        { conflicts },
      ),
    ];
  } finally {
    probe?.close();
    await stop?.();
    await hub.close();
  }
}

/**
 * A git repository in the folder: `main` with the tree and edits/ excluded (in .git/info/exclude,
 * which sync never reads: .git is not synced), `other` with every 8th file rewritten. Leaves
 * `main` checked out; returns the files the branches differ in.
 */
async function makeBranches(folder: string, paths: readonly string[]): Promise<string[]> {
  const git = (...args: string[]) => mustRun('git', ['-C', folder, ...args]);
  await git('init', '-q', '-b', 'main');
  writeFileSync(join(folder, '.git', 'info', 'exclude'), 'edits/\n');
  await git('add', '-A');
  await git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'main');
  await git('checkout', '-q', '-b', 'other');
  const step = Math.floor(paths.length / CHANGED_BY_CHECKOUT);
  const changed = paths.filter((_, i) => i % step === 0).slice(0, CHANGED_BY_CHECKOUT);
  for (const rel of changed) writeFileSync(join(folder, rel), randomBytes(EDIT_TREE.fileBytes));
  await git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qam', 'other');
  await git('checkout', '-q', 'main');
  return changed;
}

/** When (performance.now()) the host file holds exactly `content`, polling every 2 ms. */
async function untilHostHas(path: string, content: Buffer): Promise<number> {
  const deadline = performance.now() + SAVE_TIMEOUT_MS;
  for (;;) {
    try {
      if (readFileSync(path).equals(content)) return performance.now();
    } catch {
      // between sync's rename aside and into place, or not there yet
    }
    if (performance.now() > deadline) throw new Error(`${path} did not arrive within ${SAVE_TIMEOUT_MS} ms`);
    await sleep(HOST_POLL_MS);
  }
}

async function expectContainerHas(
  containerId: string,
  folder: string,
  paths: string[],
  what: string,
): Promise<void> {
  expectSame(
    await containerDigestsOf(containerId, paths),
    sha256Lines(folder, paths),
    `${what}: sha256 in the container`,
  );
}

/**
 * When the checkout had converged: the end of the first cycle after which every changed file
 * in the container has the host's digest. After each cycle that moved files to the container
 * since `from`, once at least as many as changed, the container's digests are checked (outside
 * the time: the check is dated by the cycle that ended before it).
 */
async function untilConverged(
  containerId: string,
  folder: string,
  changed: string[],
  reports: { at: number; report: CycleReport }[],
  from: number,
  t0: number,
  signal: AbortSignal,
): Promise<number> {
  const expected = sha256Lines(folder, changed);
  let checked = from;
  for (;;) {
    signal.throwIfAborted();
    if (performance.now() - t0 > CHECKOUT_TIMEOUT_MS)
      throw new Error(`the checkout did not converge within ${CHECKOUT_TIMEOUT_MS} ms`);
    const since = reports.slice(from);
    const moved = since.reduce((n, r) => n + r.report.toContainer, 0);
    if (reports.length > checked && moved >= changed.length) {
      checked = reports.length;
      const at = reports[reports.length - 1]!.at;
      if ((await containerDigestsOf(containerId, changed)) === expected) return at;
    }
    await sleep(20);
  }
}
