import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { composeFileFor } from '../src/hub/compose-export.js';
import type { UpAction } from '../src/hub/projects.js';
import { runAlternating, timedSeries } from './alternating-runs.js';
import { compare } from './comparison.js';
import { ComposeProject, writeComposeFile } from './compose.js';
import { openBenchHub } from './fixture.js';
import { UP_WARMUP_ROUNDS, type PartContext } from './options.js';
import type { PartResult } from './report.js';

const PROJECTS = ['p1', 'p2', 'p3', 'p4', 'p5'];

/**
 * `hub.up()` for 5 isolated projects against `docker-compose up -d` on the compose file berth
 * exports for the same config, each round: cold (nothing exists), then warm (all up, unchanged),
 * then down. A series times the cold up and keeps the warm one beside it.
 */
export async function benchUp({ dir, options, signal }: PartContext): Promise<PartResult> {
  const fixture = openBenchHub(dir, PROJECTS);
  const hub = fixture.berth.hub;
  const file = join(fixture.dir, 'docker-compose.yml');
  const compose = new ComposeProject(`berthbench${randomBytes(4).toString('hex')}`, file);
  try {
    const composeFileNote = await writeComposeFile(file, composeFileFor(fixture.berth.config));
    const berth = timedSeries('berth up (library, hub.up)', async (also) => {
      let started = performance.now();
      expectActions(await hub.up(), 'created');
      const cold = performance.now() - started;
      started = performance.now();
      expectActions(await hub.up(), 'unchanged');
      also('warm', performance.now() - started);
      await hub.down();
      return cold;
    });
    const baseline = timedSeries('docker-compose up -d', async (also) => {
      const cold = await compose.up();
      const ids = await compose.runningIds();
      if (ids.length !== PROJECTS.length)
        throw new Error(
          `docker-compose cold up: ${ids.length} containers running, expected ${PROJECTS.length}`,
        );
      also('warm', await compose.up());
      if ((await compose.runningIds()).join() !== ids.join())
        throw new Error('docker-compose warm up changed the running containers');
      await compose.down();
      const left = await compose.runningIds();
      if (left.length > 0) throw new Error(`docker-compose down left ${left.length} containers running`);
      return cold;
    });
    const runs = options.upRuns;
    await runAlternating({ name: 'up', warmupRuns: UP_WARMUP_ROUNDS, runs, signal }, [berth, baseline]);
    const warm = (s: typeof berth) => ({ label: s.label, samples: s.also.warm ?? [] });
    return {
      about: [
        `${PROJECTS.length} projects (network: isolated), library hub.up() against docker-compose up -d`,
        `median of ${runs} rounds after ${UP_WARMUP_ROUNDS} warm-up round, alternating which goes first`,
      ],
      comparisons: [
        compare(`up, ${PROJECTS.length} projects, cold`, berth, baseline, { at: [50] }),
        compare(`up, ${PROJECTS.length} projects, warm (nothing to do)`, warm(berth), warm(baseline), {
          at: [50],
        }),
      ],
      notes: [`compose file: ${composeFileNote}`],
    };
  } finally {
    await compose.remove();
    await fixture.close();
  }
}

function expectActions(results: { project: string; action: UpAction }[], expected: UpAction): void {
  const wrong = results.filter((r) => r.action !== expected);
  if (results.length !== PROJECTS.length || wrong.length > 0) {
    const got = results.map((r) => `${r.project}:${r.action}`).join(', ');
    throw new Error(`berth up: expected ${PROJECTS.length} × ${expected}, got ${got}`);
  }
}
