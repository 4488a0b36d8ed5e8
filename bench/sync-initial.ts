import { join } from 'node:path';
import { runAlternating, timedSeries } from './alternating-runs.js';
import { mustRun } from './child.js';
import { expectSame } from './checks.js';
import { compare, type AimRule, type Comparison } from './comparison.js';
import { log } from './report.js';
import { rsyncBox, rsyncInto, tarBox, tarInto, containerDigests, type VolumeBox } from './sync-baselines.js';
import { openSyncHub } from './sync-hub.js';
import { sha256Lines, writeTree, type TreeShape } from './sync-tree.js';

export const INITIAL_TREE: TreeShape = { files: 10_000, folders: 100, fileBytes: 4096 };
const INITIAL_RUNS = 3;
const NOOP_RUNS = 10;
const TAR_AIM = 1.1;
const RSYNC_AIM = 0.75;
const NOOP_AIM = 1.0;

const medianAtMost = (limit: number): AimRule => ({
  text: `ratio of medians ≤ ${limit}`,
  test: (c) => c.ratio[0]! <= limit,
});

/**
 * Rows 1 and 2: the first sync of a 10,000-file tree into a fresh volume (berth's barrier on a
 * side-car that came up on an empty folder, against tar and rsync over `docker exec -i`, each
 * into a fresh volume, each copy verified by sha256 inside the container), then a no-op re-sync
 * of the same tree (berth's barrier against rsync run again onto its copy).
 */
export async function benchInitial(dir: string, runs: number, signal: AbortSignal): Promise<Comparison[]> {
  const initialRuns = Math.min(INITIAL_RUNS, runs);
  const noopRuns = Math.min(NOOP_RUNS, runs);
  log(`sync: writing the ${INITIAL_TREE.files}-file tree`);
  const source = writeTree(join(dir, 'source'), INITIAL_TREE);
  const expected = sha256Lines(source.root, source.paths).split('\n').filter(Boolean).sort().join('\n');
  const names = Array.from({ length: initialRuns }, (_, i) => `initial${i + 1}`);
  const hub = await openSyncHub(join(dir, 'hub'), names);
  const rsyncBoxes: VolumeBox[] = [];
  try {
    log(`sync: bringing up ${names.length} synced project(s) on empty folders`);
    await hub.up(names);
    const verify = async (containerId: string, what: string) =>
      expectSame((await containerDigests(containerId)).trim(), expected, `${what}: sha256 of every file`);

    let next = 0;
    const berth = timedSeries('berth barrier() (first sync)', async () => {
      const name = names[next++]!;
      await mustRun('cp', ['-a', `${source.root}/.`, hub.folder(name)]);
      await mustRun('sync', []);
      const started = performance.now();
      const report = await hub.sync.barrier(name);
      const ms = performance.now() - started;
      if (report.conflicts.length > 0 || report.halt || report.toContainer < INITIAL_TREE.files)
        throw new Error(
          `the first sync of ${name} moved ${report.toContainer} entries with ${report.conflicts.length} ` +
            `conflicts${report.halt ? `, halted: ${report.halt.detail}` : ''}`,
        );
      await verify((await hub.containers(name)).project, `berth's first sync of ${name}`);
      return ms;
    });
    // the boxes stay until the part's cleanup (label SYNC_BENCH_LABEL); the last rsync one is row 2's
    const boxed = (label: string, make: () => Promise<VolumeBox>, copy: typeof tarInto, into?: VolumeBox[]) =>
      timedSeries(label, async () => {
        const box = await make();
        into?.push(box);
        await mustRun('sync', []);
        const ms = await copy(source.root, box);
        await verify(box.id, label);
        return ms;
      });
    const tar = boxed('tar -c | docker exec -i tar -x', tarBox, tarInto);
    const rsync = boxed("rsync -a -e 'docker exec -i'", () => rsyncBox(dir), rsyncInto, rsyncBoxes);
    await runAlternating({ name: 'sync initial', warmupRuns: 0, runs: initialRuns, signal }, [
      berth,
      tar,
      rsync,
    ]);

    const lastProject = names[names.length - 1]!;
    const rsyncTarget = rsyncBoxes.at(-1)!;
    const noopBerth = timedSeries('berth barrier() (nothing changed)', async () => {
      const started = performance.now();
      const report = await hub.sync.barrier(lastProject);
      const ms = performance.now() - started;
      if (report.toContainer + report.toLocal > 0)
        throw new Error(`a no-op barrier moved ${report.toContainer + report.toLocal} entries`);
      return ms;
    });
    const noopRsync = timedSeries("rsync -a -e 'docker exec -i' (nothing changed)", () =>
      rsyncInto(source.root, rsyncTarget),
    );
    await runAlternating({ name: 'sync no-op', warmupRuns: 1, runs: noopRuns, signal }, [
      noopBerth,
      noopRsync,
    ]);

    const mb = (source.bytes / 1e6).toFixed(0);
    const what = `first sync, ${INITIAL_TREE.files} files / ${mb} MB`;
    return [
      compare(`${what}, vs tar`, berth, tar, { at: [50], aim: medianAtMost(TAR_AIM) }),
      compare(`${what}, vs rsync`, berth, rsync, { at: [50], aim: medianAtMost(RSYNC_AIM) }),
      compare(`no-op re-sync, ${INITIAL_TREE.files} files`, noopBerth, noopRsync, {
        at: [50, 95],
        aim: { ...medianAtMost(NOOP_AIM), text: `ratio at p50 ≤ ${NOOP_AIM}` },
      }),
    ];
  } finally {
    await hub.close();
  }
}
