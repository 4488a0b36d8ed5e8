import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Measured runs per series: `exec`, each MCP tool against its baseline, each ops latency. */
  runs: number;
  /** Measured cold/warm `up` rounds per tool. */
  upRuns: number;
  /** Measured session starts (berth and the script) and applies (berth and rsync). */
  sessionRuns: number;
  /** Only these benchmarks (`--only`, repeatable); all when not given. */
  only: BenchName[];
  json: boolean;
}

export const BENCH_NAMES = ['exec', 'up', 'mcp', 'mcp-http', 'ops', 'session', 'sync', 'team'] as const;
export type BenchName = (typeof BENCH_NAMES)[number];

export const EXEC_WARMUP_RUNS = 5;
export const UP_WARMUP_ROUNDS = 1;
export const MCP_WARMUP_RUNS = 5;
export const OPS_WARMUP_RUNS = 5;
/** Measured 200 MB streams per tool, after OPS_STREAM_WARMUP_RUNS untimed ones. */
export const OPS_STREAM_RUNS = 5;
export const OPS_STREAM_WARMUP_RUNS = 1;
export const SESSION_WARMUP_RUNS = 1;
/** Step-by-step replays of the session baseline script, outside the timed runs. */
export const SESSION_STEP_REPLAYS = 3;

/** What every part is given: a folder of its own under the run's root, the options, the stop signal. */
export interface PartContext {
  dir: string;
  options: BenchOptions;
  signal: AbortSignal;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      'up-runs': { type: 'string' },
      'session-runs': { type: 'string' },
      only: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    runs: wholeNumber('--runs', values.runs, 60),
    upRuns: wholeNumber('--up-runs', values['up-runs'], 3),
    sessionRuns: wholeNumber('--session-runs', values['session-runs'], 5),
    only: benchNames(values.only ?? []),
    json: values.json,
  };
}

/** Fewer runs than the default make a quick check of the bench, not figures to quote. */
function wholeNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number ≥ 1, got "${raw}"`);
  return n;
}

function benchNames(raw: string[]): BenchName[] {
  const names = raw.flatMap((r) => r.split(','));
  for (const name of names) {
    if (!(BENCH_NAMES as readonly string[]).includes(name))
      throw new Error(`--only takes ${BENCH_NAMES.join(', ')}; got "${name}"`);
  }
  return names as BenchName[];
}
