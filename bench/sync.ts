import { join } from 'node:path';
import type { Comparison } from './comparison.js';
import type { PartContext } from './options.js';
import { log, type PartResult } from './report.js';
import { removeSyncBoxes, SYNC_BENCH_LABEL } from './sync-baselines.js';
import { benchEdits, EDIT_TREE } from './sync-edits.js';
import { benchIdle, IDLE_TREE } from './sync-idle.js';
import { benchInitial, INITIAL_TREE } from './sync-initial.js';
import { PROBE_POLL_MS } from './sync-probe.js';

/**
 * Two-way sync (`workspace: sync`), the rows of issue 11's Benchmark table: first sync against
 * tar and rsync over `docker exec -i`, a no-op re-sync against rsync's, single saves each way
 * and a 5,000-file `git checkout` with `watch()` running (no tool to compare: absolute aims),
 * and idle CPU and memory with 100,000 files watched. Each group runs on its own hub, removed
 * (containers and volumes) when it ends.
 */
export async function benchSync({ dir, options, signal }: PartContext): Promise<PartResult> {
  const runs = options.runs;
  const comparisons: Comparison[] = [];
  try {
    comparisons.push(...(await benchInitial(join(dir, 'initial'), runs, signal)));
    comparisons.push(...(await benchEdits(join(dir, 'edits'), runs, signal)));
    comparisons.push(...(await benchIdle(join(dir, 'idle'), runs, signal)));
  } finally {
    await removeSyncBoxes(log);
  }
  const kib = (n: number) => `${n / 1024} KiB`;
  return {
    about: [
      `library (openBerth → berth.sync()), busybox project, side-car berth-sync-agent, engine on this machine`,
      `first sync: ${INITIAL_TREE.files} files of ${kib(INITIAL_TREE.fileBytes)} in ${INITIAL_TREE.folders} folders, ` +
        `a fresh volume per run, ${Math.min(3, runs)} runs each of berth/tar/rsync alternating, every copy ` +
        `checked by sha256 in its container; no-op: ${Math.min(10, runs)} runs each`,
      `saves and checkout: ${EDIT_TREE.files} files of ${kib(EDIT_TREE.fileBytes)} in ${EDIT_TREE.folders} folders ` +
        `(a git repository), watch() running; idle: ${IDLE_TREE.files} files in ${IDLE_TREE.folders} folders`,
    ],
    comparisons,
    notes: [
      `saves: host→container is timed from the host's write until a probe (one sh in the project's own ` +
        `container over one docker exec -i, polling the file every ${PROBE_POLL_MS} ms with builtins) answers; ` +
        `container→host from sending the probe its write until this process, polling every 2 ms, reads the ` +
        `full new content; both include up to ~2 ms of polling and a pipe hop`,
      `checkout: from the start of \`git checkout\` to the end of the sync cycle after which all changed files ` +
        `have the host's sha256 in the container (checked after each cycle, outside the time)`,
      `idle CPU: host = the child process's cpuUsage over the window; side-car = its cgroup's CPU time (agent ` +
        `and idle process); the periodic full rescan (every 10 min) is outside a 60 s window: its cost is given ` +
        `amortized`,
      `memory: host = RSS growth of a child process that only syncs and watches (after gc); side-car = docker ` +
        `stats MEM USAGE (both node processes and page cache the cgroup still holds), processes' RSS beside it`,
      `containers and volumes of baselines are labelled ${SYNC_BENCH_LABEL}`,
    ],
  };
}
