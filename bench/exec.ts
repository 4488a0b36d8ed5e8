import type { Hub } from '../src/index.js';
import { runAlternating, timedSeries } from './alternating-runs.js';
import { dockerExec } from './checks.js';
import { compare, ratioBelow } from './comparison.js';
import { openBenchHub } from './fixture.js';
import { EXEC_WARMUP_RUNS, type PartContext } from './options.js';
import { log, type PartResult } from './report.js';

/** `berth exec` should take less than this fraction of `docker exec`'s time. */
export const EXEC_AIM_RATIO = 0.35;

const PROJECT = 'app';

/**
 * `hub.exec(app, ['true'])` through the library, with its in-container runner and with it off,
 * against `docker exec <id> true` as a child process, on the same container.
 */
export async function benchExec({ dir, options, signal }: PartContext): Promise<PartResult> {
  const fixture = openBenchHub(dir, [PROJECT]);
  try {
    log('exec: bringing up 1 project');
    const containerId = await fixture.up();
    const berth = hubExec(fixture.berth.hub, 'berth exec (runner)');
    const engine = hubExec(fixture.engineHub, 'berth exec (runner off)');
    const docker = dockerExec(containerId, ['true']);
    const runs = options.runs;
    await runAlternating({ name: 'exec', warmupRuns: EXEC_WARMUP_RUNS, runs, signal }, [
      berth,
      engine,
      docker,
    ]);
    return {
      about: [
        `\`true\` through the library (hub.exec) against \`docker exec <container> true\` (CLI child process)`,
        `${runs} measured runs each after ${EXEC_WARMUP_RUNS} warm-up, all series every iteration, alternating the order`,
      ],
      comparisons: [
        compare('exec `true`', berth, docker, { aim: ratioBelow(EXEC_AIM_RATIO) }),
        compare('exec `true`, runner off (engine exec via API)', engine, docker),
      ],
    };
  } finally {
    await fixture.close();
  }
}

/** Times `hub.exec(PROJECT, ['true'])`; a non-zero exit spoils the run. */
function hubExec(hub: Hub, label: string) {
  return timedSeries(label, async () => {
    const started = performance.now();
    const result = await hub.exec(PROJECT, ['true']);
    const ms = performance.now() - started;
    if (result.exitCode !== 0) throw new Error(`${label} exited with ${result.exitCode}`);
    return ms;
  });
}
