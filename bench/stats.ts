/** Percentile of the samples, interpolating linearly between ranks (numpy's default); p in 0..100. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of an empty series');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = sorted[Math.floor(rank)]!;
  const upper = sorted[Math.ceil(rank)]!;
  return lower + (upper - lower) * (rank - Math.floor(rank));
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Rounds for display and JSON; the math itself runs on the raw values. */
export function round(value: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  samples: number[];
}

/** `decimals` of a millisecond are kept: 2 by default, more for in-process calls of a few µs. */
export function latencySummary(samples: readonly number[], decimals = 2): LatencySummary {
  return {
    p50: round(percentile(samples, 50), decimals),
    p95: round(percentile(samples, 95), decimals),
    samples: samples.map((s) => round(s, decimals)),
  };
}

export interface MedianSummary {
  median: number;
  samples: number[];
}

export function medianSummary(samples: readonly number[]): MedianSummary {
  return { median: round(median(samples), 1), samples: samples.map((s) => round(s, 1)) };
}

/** a / b, rounded to three decimals. */
export function ratio(a: number, b: number): number {
  return round(a / b, 3);
}
