import { setTimeout as sleep } from 'node:timers/promises';

/**
 * First this long with no JavaScript running here: V8's memory reducer starts 8 s after the last
 * full GC, but later when the process was busy in between (sampling every second kept it away
 * until sampling stopped, and it then fell in the window).
 */
const SETTLE_SLEEP_MS = 45_000;
/** Then both sides must stay under the aim this long in a row... */
const QUIET_MS = 30_000;
/** ...or the window opens anyway after this long (and measures whatever keeps them busy). */
const SETTLE_MAX_MS = 240_000;
const SAMPLE_MS = 5000;

export interface Settled {
  ms: number;
  hostCpuMs: number;
  carCpuMs: number;
  /** False when SETTLE_MAX_MS passed without a quiet stretch. */
  quiet: boolean;
}

/**
 * Waits until the work of the last cycle has died down on both sides: after a burst V8 runs a
 * few memory-reducing full GCs (hundreds of ms each with 100,000 entries in memory), the first
 * 8 s or more after the last GC. That is the cost of the cycle before, not of idling. Quiet
 * means SETTLE_SLEEP_MS, then QUIET_MS during which each side stayed under `quietPercent` of a
 * core. It cannot hide a periodic wake-up shorter than the window that follows: the window
 * still sees its next rounds.
 */
export async function settle(
  hostCpuMs: () => number,
  carCpuMs: () => number,
  quietPercent: number,
): Promise<Settled> {
  const started = performance.now();
  const host0 = hostCpuMs();
  const car0 = carCpuMs();
  const samples: { at: number; host: number; car: number }[] = [];
  await sleep(SETTLE_SLEEP_MS);
  for (;;) {
    const at = performance.now() - started;
    samples.push({ at, host: hostCpuMs(), car: carCpuMs() });
    while (samples.length > 1 && samples[1]!.at <= at - QUIET_MS) samples.shift();
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const span = last.at - first.at;
    const under = (ms: number) => (100 * ms) / span < quietPercent;
    const quiet = span >= QUIET_MS && under(last.host - first.host) && under(last.car - first.car);
    if (quiet || at >= SETTLE_MAX_MS)
      return { ms: at, hostCpuMs: last.host - host0, carCpuMs: last.car - car0, quiet };
    await sleep(SAMPLE_MS);
  }
}
