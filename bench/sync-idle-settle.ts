import { setTimeout as sleep } from 'node:timers/promises';

/**
 * V8's memory reducer starts 8 s after the last full GC, or 8 s later each time the process was
 * not idle yet: its GCs were seen up to 40 s after a cycle. No window opens before this.
 */
const SETTLE_MIN_MS = 40_000;
/** Both sides must have stayed under the aim this long in a row... */
const QUIET_MS = 30_000;
/** ...or the window opens anyway after this long (and measures whatever keeps them busy). */
const SETTLE_MAX_MS = 240_000;
const SAMPLE_MS = 1000;

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
 * 8 s or more after the last GC. That is the cost of the
 * cycle before, not of idling. Quiet means at least SETTLE_MIN_MS, then QUIET_MS during which
 * each side stayed under `quietPercent` of a core. It cannot hide a periodic wake-up shorter
 * than the window that follows: the window still sees its next rounds.
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
  for (;;) {
    const at = performance.now() - started;
    samples.push({ at, host: hostCpuMs(), car: carCpuMs() });
    while (samples.length > 1 && samples[1]!.at <= at - QUIET_MS) samples.shift();
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const span = last.at - first.at;
    const under = (ms: number) => (100 * ms) / span < quietPercent;
    const quiet = span >= QUIET_MS && under(last.host - first.host) && under(last.car - first.car);
    if ((quiet && at >= SETTLE_MIN_MS) || at >= SETTLE_MAX_MS)
      return { ms: at, hostCpuMs: last.host - host0, carCpuMs: last.car - car0, quiet };
    await sleep(SAMPLE_MS);
  }
}
