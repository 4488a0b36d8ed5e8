import type { Series } from './comparison.js';
import { log } from './report.js';

/** One timed thing; `measure()` may do untimed setup and checks around the part it times. */
export interface TimedSeries extends Series {
  /** Returns the timed part; `also(name, value)` records a side figure of the same run. */
  measure(also: (name: string, value: number) => void): Promise<number>;
  /** The side figures of the measured runs, by name. */
  also: Record<string, number[]>;
}

export function timedSeries(label: string, measure: TimedSeries['measure']): TimedSeries {
  return { label, samples: [], also: {}, measure };
}

export interface AlternatingPlan {
  /** Prefix of the progress lines. */
  name: string;
  warmupRuns: number;
  runs: number;
  signal: AbortSignal;
}

/**
 * Runs every series once per iteration, in reverse order every other iteration, so none always
 * goes first; the first `warmupRuns` iterations are run but not kept.
 */
export async function runAlternating(plan: AlternatingPlan, series: TimedSeries[]): Promise<void> {
  const total = plan.warmupRuns + plan.runs;
  log(`${plan.name}: ${plan.warmupRuns} warm-up + ${plan.runs} measured runs of each, alternating`);
  for (let i = 0; i < total; i++) {
    const order = i % 2 === 0 ? series : [...series].reverse();
    for (const s of order) {
      plan.signal.throwIfAborted();
      const side: [string, number][] = [];
      const value = await s.measure((name, v) => side.push([name, v]));
      if (i < plan.warmupRuns) continue;
      s.samples.push(value);
      for (const [name, v] of side) (s.also[name] ??= []).push(v);
    }
    if ((i + 1) % 20 === 0) log(`${plan.name}: ${i + 1}/${total}`);
  }
}
