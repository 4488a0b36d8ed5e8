import { log } from './log.js';

/** One timed thing; `measure()` may do untimed setup and checks around the part it times. */
export interface TimedSeries {
  label: string;
  samples: number[];
  /** Returns the timed part in ms; throws if the result is wrong. */
  measure(): Promise<number>;
}

export interface AlternatingPlan {
  /** Prefix of the progress lines. */
  name: string;
  warmupRuns: number;
  runs: number;
  signal: AbortSignal;
}

/**
 * Runs every series once per iteration, in reverse order every other iteration, so neither
 * always goes first; the first `warmupRuns` iterations are run but not kept.
 */
export async function runAlternating(plan: AlternatingPlan, series: TimedSeries[]): Promise<void> {
  const total = plan.warmupRuns + plan.runs;
  log(`${plan.name}: ${plan.warmupRuns} warm-up + ${plan.runs} measured runs of each, alternating`);
  for (let i = 0; i < total; i++) {
    const order = i % 2 === 0 ? series : [...series].reverse();
    for (const s of order) {
      plan.signal.throwIfAborted();
      const ms = await s.measure();
      if (i >= plan.warmupRuns) s.samples.push(ms);
    }
    if ((i + 1) % 20 === 0) log(`${plan.name}: ${i + 1}/${total}`);
  }
}
