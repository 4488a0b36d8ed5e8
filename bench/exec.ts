import { join } from 'node:path';
import type { Hub } from '../src/index.js';
import { mustRun } from './command.js';
import { openBenchHub } from './hub-fixture.js';
import { log } from './log.js';
import { EXEC_WARMUP_RUNS } from './options.js';
import { latencySummary, percentile, ratio, type LatencySummary } from './stats.js';

/** `berth exec` should take less than this fraction of `docker exec`'s time. */
export const EXEC_AIM_RATIO = 0.35;

const PROJECT = 'app';

export interface ExecFigures {
  command: string;
  runs: number;
  warmupRuns: number;
  order: string;
  berth: LatencySummary;
  /** berth with its in-container runner off: the engine's own exec, through dockerode. */
  berthEngine: LatencySummary;
  docker: LatencySummary;
  ratio: { p50: number; p95: number };
  engineRatio: { p50: number; p95: number };
  aim: { ratioBelow: number; p50Met: boolean; p95Met: boolean; met: boolean };
}

interface Series {
  samples: number[];
  measure(): Promise<number>;
}

/**
 * `hub.exec(app, ['true'])` through the library against `docker exec <id> true` as a child
 * process, on the same container; each iteration runs both, alternating which goes first.
 */
export async function benchExec(root: string, runs: number, signal: AbortSignal): Promise<ExecFigures> {
  const fixture = openBenchHub(join(root, 'exec'), [PROJECT]);
  try {
    log('exec: bringing up 1 project');
    const [up] = await fixture.hub.up();
    if (!up) throw new Error('hub.up() returned no project');
    const berth = hubSeries(fixture.hub, 'berth exec');
    const berthEngine = hubSeries(fixture.engineHub, 'berth exec (engine path)');
    const docker: Series = {
      samples: [],
      measure: async () => (await mustRun('docker', ['exec', up.containerId, 'true'])).ms,
    };
    const total = EXEC_WARMUP_RUNS + runs;
    log(`exec: ${EXEC_WARMUP_RUNS} warm-up + ${runs} measured runs of each, alternating`);
    for (let i = 0; i < total; i++) {
      signal.throwIfAborted();
      const order = [berth, berthEngine, docker];
      for (const series of i % 2 === 0 ? order : order.reverse()) {
        const ms = await series.measure();
        if (i >= EXEC_WARMUP_RUNS) series.samples.push(ms);
      }
      if ((i + 1) % 20 === 0) log(`exec: ${i + 1}/${total}`);
    }
    return summarize(berth.samples, berthEngine.samples, docker.samples, runs);
  } finally {
    await fixture.close();
  }
}

/** Times `hub.exec(PROJECT, ['true'])`; a non-zero exit spoils the run. */
function hubSeries(hub: Hub, label: string): Series {
  return {
    samples: [],
    async measure() {
      const started = performance.now();
      const result = await hub.exec(PROJECT, ['true']);
      const ms = performance.now() - started;
      if (result.exitCode !== 0) throw new Error(`${label} exited with ${result.exitCode}`);
      return ms;
    },
  };
}

function summarize(berth: number[], berthEngine: number[], docker: number[], runs: number): ExecFigures {
  const p50 = ratio(percentile(berth, 50), percentile(docker, 50));
  const p95 = ratio(percentile(berth, 95), percentile(docker, 95));
  return {
    command: 'true',
    runs,
    warmupRuns: EXEC_WARMUP_RUNS,
    order: 'all series every iteration, alternating the order',
    berth: latencySummary(berth),
    berthEngine: latencySummary(berthEngine),
    docker: latencySummary(docker),
    ratio: { p50, p95 },
    engineRatio: {
      p50: ratio(percentile(berthEngine, 50), percentile(docker, 50)),
      p95: ratio(percentile(berthEngine, 95), percentile(docker, 95)),
    },
    aim: {
      ratioBelow: EXEC_AIM_RATIO,
      p50Met: p50 < EXEC_AIM_RATIO,
      p95Met: p95 < EXEC_AIM_RATIO,
      met: p50 < EXEC_AIM_RATIO && p95 < EXEC_AIM_RATIO,
    },
  };
}
