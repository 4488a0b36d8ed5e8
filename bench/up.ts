import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { composeFileFor } from '../src/hub/compose-export.js';
import type { UpAction } from '../src/hub/projects.js';
import type { Hub } from '../src/index.js';
import { ComposeProject, writeComposeFile } from './compose.js';
import { openBenchHub } from './hub-fixture.js';
import { log } from './log.js';
import { UP_WARMUP_ROUNDS } from './options.js';
import { median, medianSummary, ratio, type MedianSummary } from './stats.js';

const PROJECTS = ['p1', 'p2', 'p3', 'p4', 'p5'];

export interface UpFigures {
  projects: number;
  runs: number;
  warmupRounds: number;
  order: string;
  composeFileNote: string;
  berth: { cold: MedianSummary; warm: MedianSummary };
  compose: { cold: MedianSummary; warm: MedianSummary };
  ratio: { cold: number; warm: number };
}

interface Round {
  cold: number;
  warm: number;
}

/**
 * `hub.up()` for 5 isolated projects against `docker-compose up -d` on the compose file berth
 * exports for the same config: cold (nothing exists), then warm (all up, unchanged), then down.
 */
export async function benchUp(root: string, runs: number, signal: AbortSignal): Promise<UpFigures> {
  const fixture = openBenchHub(join(root, 'up'), PROJECTS);
  const file = join(fixture.dir, 'docker-compose.yml');
  const compose = new ComposeProject(`berthbench${randomBytes(4).toString('hex')}`, file);
  const berth: Round[] = [];
  const baseline: Round[] = [];
  let composeFileNote: string;
  try {
    composeFileNote = await writeComposeFile(file, composeFileFor(fixture.config));
    const total = UP_WARMUP_ROUNDS + runs;
    for (let i = 0; i < total; i++) {
      const label = i < UP_WARMUP_ROUNDS ? 'warm-up round' : `round ${i + 1 - UP_WARMUP_ROUNDS}/${runs}`;
      const tools = [
        { name: 'berth', rounds: berth, run: () => berthRound(fixture.hub) },
        { name: 'docker-compose', rounds: baseline, run: () => composeRound(compose) },
      ];
      for (const tool of i % 2 === 0 ? tools : tools.reverse()) {
        signal.throwIfAborted();
        log(`up: ${label}: ${tool.name}`);
        const round = await tool.run();
        if (i >= UP_WARMUP_ROUNDS) tool.rounds.push(round);
      }
    }
  } finally {
    await compose.remove();
    await fixture.close();
  }
  return summarize(berth, baseline, runs, composeFileNote);
}

async function berthRound(hub: Hub): Promise<Round> {
  let started = performance.now();
  expectActions(await hub.up(), 'created');
  const cold = performance.now() - started;
  started = performance.now();
  expectActions(await hub.up(), 'unchanged');
  const warm = performance.now() - started;
  await hub.down();
  return { cold, warm };
}

async function composeRound(compose: ComposeProject): Promise<Round> {
  const cold = await compose.up();
  const ids = await compose.runningIds();
  if (ids.length !== PROJECTS.length)
    throw new Error(`docker-compose cold up: ${ids.length} containers running, expected ${PROJECTS.length}`);
  const warm = await compose.up();
  if ((await compose.runningIds()).join() !== ids.join())
    throw new Error('docker-compose warm up changed the running containers');
  await compose.down();
  const left = await compose.runningIds();
  if (left.length > 0) throw new Error(`docker-compose down left ${left.length} containers running`);
  return { cold, warm };
}

function expectActions(results: { project: string; action: UpAction }[], expected: UpAction): void {
  const wrong = results.filter((r) => r.action !== expected);
  if (results.length !== PROJECTS.length || wrong.length > 0) {
    const got = results.map((r) => `${r.project}:${r.action}`).join(', ');
    throw new Error(`berth up: expected ${PROJECTS.length} × ${expected}, got ${got}`);
  }
}

function summarize(berth: Round[], compose: Round[], runs: number, composeFileNote: string): UpFigures {
  const series = (rounds: Round[]) => ({
    cold: medianSummary(rounds.map((r) => r.cold)),
    warm: medianSummary(rounds.map((r) => r.warm)),
  });
  const medianOf = (rounds: Round[], key: keyof Round) => median(rounds.map((r) => r[key]));
  return {
    projects: PROJECTS.length,
    runs,
    warmupRounds: UP_WARMUP_ROUNDS,
    order: 'berth and docker-compose each round, alternating which goes first',
    composeFileNote,
    berth: series(berth),
    compose: series(compose),
    ratio: {
      cold: ratio(medianOf(berth, 'cold'), medianOf(compose, 'cold')),
      warm: ratio(medianOf(berth, 'warm'), medianOf(compose, 'warm')),
    },
  };
}
