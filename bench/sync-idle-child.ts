import { openBerth, silentLogger } from '../src/index.js';

/**
 * The host side of the idle rows, alone in a process so that only sync counts in its memory and
 * CPU: `node --expose-gc --import tsx sync-idle-child.ts <dir> <home> <project> <windowMs>`.
 * It opens the berth the bench made, runs the full first sync of the project's folder (the
 * side-car is already up on an empty volume), a no-op barrier (what the periodic rescan costs),
 * then keeps the pair in sync with `watch()`, lets it settle, and samples its own CPU time over
 * the window. It says each step as one JSON line on stdout; the parent samples the side-car over
 * the same window.
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

async function main(): Promise<void> {
  const [dir, home, project, windowText] = process.argv.slice(2);
  if (!dir || !home || !project || !windowText) throw new Error('usage: <dir> <home> <project> <windowMs>');
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
    const stop = await sync.watch([project], {
      onReport: (_p, r) => (moved += r.toContainer + r.toLocal),
      onError: (_p, err) => errors.push(String(err)),
    });
    // watch() starts with a full cycle: let it end (a no-op rescan took `again`'s time) and settle
    await sleep(2 * (performance.now() - started) + 2000);
    say({ step: 'watching', ...memory() });

    const cpu2 = process.cpuUsage();
    const windowStarted = performance.now();
    await sleep(Number(windowText));
    const idle = process.cpuUsage(cpu2);
    const windowMs = performance.now() - windowStarted;
    say({ step: 'idle', windowMs, cpuMs: (idle.user + idle.system) / 1000, moved, errors, ...memory() });
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
