import { openBerth, silentLogger } from '../src/index.js';
import { settle } from './sync-idle-settle.js';
import { containerCpuReader } from './sync-sidecar-stats.js';

/**
 * The host side of the idle rows, alone in a process so that only sync counts in its memory and
 * CPU: `node --expose-gc --import tsx sync-idle-child.ts <dir> <home> <project> <windowMs>
 * <sidecar> <quietPercent>`.
 * It opens the berth the bench made, runs the full first sync of the project's folder (the
 * side-car is already up on an empty volume), a no-op barrier (what the periodic rescan costs),
 * then keeps the pair in sync with `watch()`, waits for the full cycle it starts with to end and
 * for both sides to settle (sync-idle-settle.ts; what settling cost is said on its own), and
 * samples its own CPU time over the window. It says each step as one JSON line on stdout; the
 * parent samples the side-car over the same steps. Nothing forces a GC before the window (gc()
 * would start V8's memory reducer again inside it): memory is sampled once the window is over.
 */

type Say = Record<string, unknown> & { step: string };
const say = (line: Say) => process.stdout.write(`${JSON.stringify(line)}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
const memory = () => {
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FIRST_CYCLE_MAX_MS = 600_000;
const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

async function main(): Promise<void> {
  const [dir, home, project, windowText, sidecar, quietText] = process.argv.slice(2);
  if (!dir || !home || !project || !windowText || !sidecar || !quietText)
    throw new Error('usage: <dir> <home> <project> <windowMs> <sidecar> <quietPercent>');
  const carCpuMs = await containerCpuReader(sidecar);
  const berth = openBerth({ cwd: dir, home, logger: silentLogger() });
  try {
    const sync = await berth.sync();
    say({ step: 'opened', ...memory() });

    const cpu0 = process.cpuUsage();
    let started = performance.now();
    const first = await sync.barrier(project);
    const firstCpu = process.cpuUsage(cpu0);
    say({
      step: 'synced',
      ms: performance.now() - started,
      cpuMs: (firstCpu.user + firstCpu.system) / 1000,
      toContainer: first.toContainer,
      toLocal: first.toLocal,
      conflicts: first.conflicts.length,
      halt: first.halt?.detail ?? null,
    });

    const cpu1 = process.cpuUsage();
    started = performance.now();
    const again = await sync.barrier(project);
    const againCpu = process.cpuUsage(cpu1);
    say({
      step: 'rescanned',
      ms: performance.now() - started,
      cpuMs: (againCpu.user + againCpu.system) / 1000,
      moved: again.toContainer + again.toLocal,
    });

    const errors: string[] = [];
    let moved = 0;
    const table = berth.store.sync();
    const cycles = () => table.pair(berth.config.hubId, project)?.cycles ?? 0;
    const cyclesBefore = cycles();
    started = performance.now();
    const cpu2 = process.cpuUsage();
    const stop = await sync.watch([project], {
      onReport: (_p, r) => (moved += r.toContainer + r.toLocal),
      onError: (_p, err) => errors.push(String(err)),
    });
    // watch() starts with a full cycle: it ends when the store counts it
    while (cycles() === cyclesBefore && errors.length === 0) {
      if (performance.now() - started > FIRST_CYCLE_MAX_MS)
        throw new Error(`watch()'s first cycle did not end within ${FIRST_CYCLE_MAX_MS / 1000} s`);
      await sleep(100);
    }
    say({ step: 'watching', ms: performance.now() - started, cpuMs: cpuMsSince(cpu2) });

    const cpu3 = process.cpuUsage();
    const settled = await settle(() => cpuMsSince(cpu3), carCpuMs, Number(quietText));
    say({ step: 'settled', ...settled, cpuMs: settled.hostCpuMs });

    const cpu4 = process.cpuUsage();
    const windowStarted = performance.now();
    await sleep(Number(windowText));
    const cpuMs = cpuMsSince(cpu4);
    const windowMs = performance.now() - windowStarted;
    say({ step: 'idle', windowMs, cpuMs, moved, errors, ...memory() });
    // the parent samples the side-car's memory while this still watches; it then closes stdin
    await new Promise<void>((resolve) => {
      process.stdin.once('end', resolve).once('close', resolve).resume();
    });
    await stop();
  } finally {
    await berth.close();
  }
}

try {
  await main();
} catch (err) {
  say({ step: 'failed', error: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
}
