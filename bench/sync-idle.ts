import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { RESCAN_MS } from '../src/sync/sync-loop.js';
import type { Comparison } from './comparison.js';
import { log } from './report.js';
import { openSyncHub } from './sync-hub.js';
import { absoluteRow, referenceRow } from './sync-rows.js';
import { containerCpuReader, containerMemoryMB, containerProcesses } from './sync-sidecar-stats.js';
import { writeTree, type TreeShape } from './sync-tree.js';

export const IDLE_TREE: TreeShape = { files: 100_000, folders: 10_000, fileBytes: 256 };
const MAX_WINDOW_MS = 60_000;
const MIN_WINDOW_MS = 5_000;
const CPU_AIM_PERCENT = 0.2;
const MEMORY_AIM_MB = 64;
const UNISON_MB = 80;
const CHILD = fileURLToPath(new URL('./sync-idle-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));
const PROJECT = 'big';

type Said = Record<string, unknown> & { step: string };

/**
 * Rows 5 and 6 on a 100,000-file tree in 10,000 folders: the side-car comes up on an empty
 * folder, the tree is written, and a child process (sync-idle-child.ts) runs the full first
 * sync and `watch()`, so only sync counts in its memory and CPU. Once the watch's first full
 * cycle has ended and both sides have settled (V8's memory-reducing GCs after that cycle, said
 * on their own), the child's own CPU time (process.cpuUsage) and the side-car's (its cgroup's
 * CPU time) are sampled over one idle window; then memory on each side: the child's RSS growth
 * from before the sync to watching, and the side-car's `docker stats` MEM USAGE (with each
 * process's RSS beside it).
 */
export async function benchIdle(dir: string, runs: number, signal: AbortSignal): Promise<Comparison[]> {
  const windowMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, runs * 1000));
  const hub = await openSyncHub(join(dir, 'hub'), [PROJECT]);
  try {
    log('sync: bringing up the side-car of the 100,000-file project on an empty folder');
    await hub.up([PROJECT]);
    // this process's own connection to the agent ends here: the child makes its own
    await hub.sync.close();
    const { sidecar } = await hub.containers(PROJECT);
    const emptyMB = await containerMemoryMB(sidecar);
    const readCarCpuMs = await containerCpuReader(sidecar);
    log(`sync: writing the ${IDLE_TREE.files}-file tree in ${IDLE_TREE.folders} folders`);
    writeTree(hub.folder(PROJECT), IDLE_TREE);

    log(`sync: a child process syncs and watches it, then idles ${windowMs / 1000} s`);
    const child = spawn(
      process.execPath,
      [
        ...['--expose-gc', '--import', 'tsx', CHILD, hub.dir, hub.home, PROJECT],
        ...[String(windowMs), sidecar, String(CPU_AIM_PERCENT)],
      ],
      { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], signal },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4096)));
    const said: Record<string, Said> = {};
    const sidecarCpu: Record<string, number> = {};
    const at: Record<string, { memoryMB: number; processes: { args: string; rssMB: number }[] }> = {};
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    for await (const line of createInterface({ input: child.stdout })) {
      const message = JSON.parse(line) as Said;
      said[message.step] = message;
      if (message.step === 'failed') throw new Error(`the idle child failed: ${String(message.error)}`);
      // read at once: the side-car's time is taken when the child says each step, not later
      sidecarCpu[message.step] = readCarCpuMs();
      if (message.step === 'idle') {
        at.idle = {
          memoryMB: await containerMemoryMB(sidecar),
          processes: await containerProcesses(sidecar),
        };
        child.stdin.end();
      }
    }
    const code = await exited;
    if (code !== 0 || !said.idle) throw new Error(`the idle child exited with ${code}: ${stderr.trim()}`);
    const synced = said.synced!;
    if (Number(synced.conflicts) > 0 || synced.halt || Number(synced.toContainer) < IDLE_TREE.files)
      throw new Error(`the first sync of 100,000 files went wrong: ${JSON.stringify(synced)}`);
    const idle = said.idle;
    if ((idle.errors as string[]).length > 0)
      throw new Error(`watch() failed: ${(idle.errors as string[]).join('; ')}`);

    const window = Number(idle.windowMs);
    const hostCpuMs = Number(idle.cpuMs);
    const carCpuMs = sidecarCpu.idle! - sidecarCpu.settled!;
    const settleHostMs = Number(said.settled!.cpuMs);
    const settleCarMs = sidecarCpu.settled! - sidecarCpu.watching!;
    const settleS = Number(said.settled!.ms) / 1000;
    const percent = (ms: number) => (100 * ms) / window;
    const rescanHostMs = Number(said.rescanned!.cpuMs);
    const rescanCarMs = sidecarCpu.rescanned! - sidecarCpu.synced!;
    const amortized = (ms: number) => (100 * ms) / RESCAN_MS;
    const cpuAim = { text: `≤ ${CPU_AIM_PERCENT} % of a core`, limits: [CPU_AIM_PERCENT] };
    const files = `${IDLE_TREE.files} files in ${IDLE_TREE.folders} folders`;
    const hostGrowth = (Number(idle.rss) - Number(said.opened!.rss)) / 1e6;
    const agentRss = at.idle!.processes.reduce((n, p) => n + p.rssMB, 0);
    const memAim = { text: `≤ ${MEMORY_AIM_MB} MB`, limit: MEMORY_AIM_MB };
    const unison = {
      label: `Unison ~${UNISON_MB} MB (fixed reference, issue 11's table; not measured here)`,
      value: UNISON_MB,
    };
    log(
      `sync: side-car processes at idle: ${at.idle!.processes.map((p) => `${p.args} ${p.rssMB.toFixed(1)} MB`).join('; ')}`,
    );
    return [
      absoluteRow(
        `idle CPU, host process, ${files}, ${(window / 1000).toFixed(0)} s window`,
        '%',
        [percent(hostCpuMs)],
        [50],
        cpuAim,
        {
          'cpu ms in window': hostCpuMs,
          'periodic rescan cpu ms': rescanHostMs,
          'rescan amortized %': amortized(rescanHostMs),
          'settling after the cycle cpu ms': settleHostMs,
          'settling s': settleS,
          'settled quiet': said.settled!.quiet === true ? 1 : 0,
        },
      ),
      absoluteRow(`idle CPU, side-car, ${files}, same window`, '%', [percent(carCpuMs)], [50], cpuAim, {
        'cpu ms in window': carCpuMs,
        'periodic rescan cpu ms': rescanCarMs,
        'rescan amortized %': amortized(rescanCarMs),
        'settling after the cycle cpu ms': settleCarMs,
      }),
      referenceRow(
        `memory per ${IDLE_TREE.files} files, host process RSS growth`,
        'MB',
        [hostGrowth],
        unison,
        memAim,
        {
          'rss before MB': Number(said.opened!.rss) / 1e6,
          'rss watching MB': Number(idle.rss) / 1e6,
          'heap used watching MB': Number(idle.heapUsed) / 1e6,
          'first sync s': Number(synced.ms) / 1000,
        },
      ),
      referenceRow(
        `memory per ${IDLE_TREE.files} files, side-car (docker stats)`,
        'MB',
        [at.idle!.memoryMB],
        unison,
        memAim,
        {
          'docker stats before sync MB': emptyMB,
          'processes rss MB': agentRss,
        },
      ),
    ];
  } finally {
    await hub.close();
  }
}
