import type { Comparison } from './comparison.js';

/** What a part of the bench measured; run.ts adds its name, time and error. */
export interface PartResult {
  /** How it was measured, one line each. */
  about: string[];
  comparisons: Comparison[];
  /** Lines printed under the table. */
  notes?: string[];
  /** Structured extras for `--json` (e.g. where a session start spends its time). */
  details?: Record<string, unknown>;
}

export interface PartReport extends Partial<PartResult> {
  part: string;
  seconds: number;
  /** Set when the part failed: what went wrong; it then has no figures. */
  error?: string;
}

export interface BenchMeta {
  startedAt: string;
  node: string;
  engine: string;
  compose: string;
  cpus: number;
}

/** Progress goes to stderr, so stdout carries only the figures (or the JSON document). */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function formatMeta(meta: BenchMeta): string {
  return (
    `berth benchmarks — ${meta.startedAt}, node ${meta.node}, engine ${meta.engine}, ` +
    `docker-compose ${meta.compose}, ${meta.cpus} CPUs\n`
  );
}

/** One part as text: what it did, one table of its comparisons, its aims and notes. */
export function formatPart(report: PartReport): string {
  const head = `${report.part} (${report.seconds.toFixed(0)} s)`;
  if (report.error !== undefined) return `\n${head}: FAILED: ${report.error}\n`;
  const comparisons = report.comparisons ?? [];
  const rows = comparisons.map((c) => [
    `${c.name}, ${percentiles(c.at)}`,
    `${c.berth.values.map(value).join(' / ')} ${c.unit}`,
    `${c.baseline.label} ${c.baseline.values.map(value).join(' / ')} ${c.unit}`,
    c.ratio.map(ratio).join(' / '),
  ]);
  const aims = comparisons.flatMap((c) =>
    c.aim ? [`aim: ${c.name}: ${c.aim.text}: ${c.aim.met ? 'met' : 'NOT met'} (${c.aim.got})`] : [],
  );
  const facts = comparisons.flatMap((c) =>
    c.facts
      ? [
          `${c.name}: ${Object.entries(c.facts)
            .map(([k, v]) => `${k} ${value(v)}`)
            .join(', ')}`,
        ]
      : [],
  );
  const lines = [
    `${head}: ${report.about?.join('; ') ?? ''}`,
    table(['what', 'berth', 'baseline', 'ratio berth/baseline'], rows),
    ...[...facts, ...(report.notes ?? []), ...aims].map((line) => `  ${line}`),
  ];
  return `\n${lines.join('\n')}\n`;
}

function percentiles(at: number[]): string {
  return at.length === 1 && at[0] === 50 ? 'median' : at.map((p) => `p${p}`).join(' / ');
}

/** A ratio: three decimals under 1, fewer above. */
export function ratio(r: number): string {
  return r.toFixed(r >= 10 ? 1 : r >= 1 ? 2 : 3);
}

/** About three significant digits, more for values under 1. */
export function value(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  return n.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
}

/** First column left-aligned, the others right-aligned, indented by two. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map(
      (row) =>
        `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`,
    )
    .join('\n');
}
