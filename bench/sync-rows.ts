import type { Comparison } from './comparison.js';
import { value } from './report.js';
import { percentile, round } from './stats.js';

/**
 * comparison.ts knows the units `ms` and `MB/s`; the sync rows also report CPU share and memory.
 * The table prints any unit as text, so these are passed through as they are.
 */
export type SyncUnit = 'ms' | '%' | 'MB';
const asUnit = (unit: SyncUnit) => unit as string as Comparison['unit'];

/** A row no tool can be measured against: berth's own figures, judged on an absolute aim. */
export function absoluteRow(
  name: string,
  unit: SyncUnit,
  samples: number[],
  at: number[],
  aim: { text: string; limits: number[] },
  facts?: Record<string, number>,
): Comparison {
  const values = at.map((p) => round(percentile(samples, p), 4));
  return {
    name,
    unit: asUnit(unit),
    at,
    berth: { label: 'berth', values, samples: samples.map((s) => round(s, 4)) },
    baseline: { label: 'none (no baseline tool does this)', values: [], samples: [] },
    ratio: [],
    aim: {
      text: aim.text,
      met: values.every((v, i) => v <= (aim.limits[i] ?? Infinity)),
      got: values.map((v, i) => `p${at[i]} ${value(v)} ${unit}`).join(', '),
    },
    ...(facts ? { facts } : {}),
  };
}

/** A row against a fixed published figure, not one measured here (said so in its label). */
export function referenceRow(
  name: string,
  unit: SyncUnit,
  samples: number[],
  reference: { label: string; value: number },
  aim: { text: string; limit: number },
  facts?: Record<string, number>,
): Comparison {
  const got = round(percentile(samples, 50), 4);
  return {
    name,
    unit: asUnit(unit),
    at: [50],
    berth: { label: 'berth', values: [got], samples: samples.map((s) => round(s, 4)) },
    baseline: { label: reference.label, values: [reference.value], samples: [reference.value] },
    ratio: [round(got / reference.value, 3)],
    aim: { text: aim.text, met: got <= aim.limit, got: `${value(got)} ${unit}` },
    ...(facts ? { facts } : {}),
  };
}
