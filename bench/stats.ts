/** Percentile of the samples, interpolating linearly between ranks (numpy's default); p in 0..100. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
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
