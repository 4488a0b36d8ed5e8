import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Measured runs per series: `exec`, each MCP tool against its baseline, each ops latency. */
  runs: number;
  /** Measured cold/warm `up` rounds per tool. */
  upRuns: number;
  json: boolean;
}

export const EXEC_WARMUP_RUNS = 5;
export const UP_WARMUP_ROUNDS = 1;
export const MCP_WARMUP_RUNS = 5;
export const OPS_WARMUP_RUNS = 5;
/** Measured 200 MB streams per tool, after OPS_STREAM_WARMUP_RUNS untimed ones. */
export const OPS_STREAM_RUNS = 5;
export const OPS_STREAM_WARMUP_RUNS = 1;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      'up-runs': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    runs: wholeNumber('--runs', values.runs, 60, 50),
    upRuns: wholeNumber('--up-runs', values['up-runs'], 3, 3),
    json: values.json,
  };
}

function wholeNumber(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${flag} must be a whole number ≥ ${min}, got "${raw}"`);
  return n;
}
