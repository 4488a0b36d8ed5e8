import { ratio, value } from './report.js';
import { percentile, round } from './stats.js';

/** Samples of one timed thing, in its unit. */
export interface Series {
  label: string;
  samples: number[];
}

/** One side of a comparison: its label, its value at each percentile shown, its samples. */
export interface Figures {
  label: string;
  values: number[];
  samples: number[];
}

export interface Aim {
  /** What the aim is, e.g. "ratio < 0.35 at p50 and p95". */
  text: string;
  met: boolean;
  /** The figure it was judged on. */
  got: string;
}

/** One measured row: berth against its baseline, both measured in the same run. */
export interface Comparison {
  name: string;
  unit: 'ms' | 'MB/s';
  /** The percentiles shown; [50] alone is the median. */
  at: number[];
  berth: Figures;
  baseline: Figures;
  /** berth / baseline at each of `at`. */
  ratio: number[];
  aim?: Aim;
  /** Counts and times beside the percentiles (errors, wall time of a burst). */
  facts?: Record<string, number>;
}

/** How an aim is judged on the figures of its comparison. */
export interface AimRule {
  text: string;
  test(c: Comparison): boolean;
  /** The figure judged (default: the ratios). */
  got?(c: Comparison): string;
}

export interface CompareOptions {
  /** Default [50, 95]. */
  at?: number[];
  unit?: Comparison['unit'];
  aim?: AimRule;
  facts?: Record<string, number>;
}

/** The comparison of two series; ratios on the raw percentiles, rounded to 3 decimals. */
export function compare(
  name: string,
  berth: Series,
  baseline: Series,
  options: CompareOptions = {},
): Comparison {
  const at = options.at ?? [50, 95];
  const figures = (s: Series): Figures => ({
    label: s.label,
    values: at.map((p) => round(percentile(s.samples, p), 4)),
    samples: s.samples.map((v) => round(v, 4)),
  });
  const c: Comparison = {
    name,
    unit: options.unit ?? 'ms',
    at,
    berth: figures(berth),
    baseline: figures(baseline),
    ratio: at.map((p) => round(percentile(berth.samples, p) / percentile(baseline.samples, p), 3)),
    ...(options.facts ? { facts: options.facts } : {}),
  };
  const rule = options.aim;
  if (rule)
    c.aim = {
      text: rule.text,
      met: rule.test(c),
      got: rule.got?.(c) ?? `ratio ${c.ratio.map(ratio).join(' / ')}`,
    };
  return c;
}

const atText = (at: number[]) => at.map((p) => `p${p}`).join(' and ');

/** The ratio below `limit` at every percentile shown (or at those given). */
export function ratioBelow(limit: number, at?: number[]): AimRule {
  return {
    text: `ratio < ${limit}${at ? ` at ${atText(at)}` : ' at each percentile'}`,
    test: (c) => c.ratio.every((r, i) => r < limit || (at !== undefined && !at.includes(c.at[i]!))),
  };
}

/** The ratio at p50 at most `limit`. */
export function ratioAtMost(limit: number): AimRule {
  return { text: `ratio at p50 ≤ ${limit}`, test: (c) => c.ratio[c.at.indexOf(50)]! <= limit };
}

/** The ratio at p50 at least `limit` (throughput: higher is better). */
export function ratioAtLeast(limit: number): AimRule {
  return { text: `ratio at p50 ≥ ${limit}`, test: (c) => c.ratio[c.at.indexOf(50)]! >= limit };
}

/** berth's own p50 under `limit` in its unit, whatever the baseline does. */
export function berthBelow(limit: number): AimRule {
  return {
    text: `berth p50 < ${limit} (absolute)`,
    test: (c) => c.berth.values[c.at.indexOf(50)]! < limit,
    got: (c) => `${value(c.berth.values[c.at.indexOf(50)]!)} ${c.unit}`,
  };
}

/** A fact of the comparison equal to `value` (e.g. no errors). */
export function factIs(name: string, value: number): AimRule {
  return {
    text: `${name} = ${value}`,
    test: (c) => c.facts?.[name] === value,
    got: (c) => `${c.facts?.[name]}`,
  };
}
