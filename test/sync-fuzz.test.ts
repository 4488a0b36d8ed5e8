import { describe, expect, it } from 'vitest';
import { runSyncFuzz } from './helpers/sync-fuzz-run.js';

/**
 * The model-based fuzz of two-way sync (issue 11): random edits on both sides over a small name
 * space, cycles with injected faults and restarts, barriers that must converge, and the
 * version oracle (test/helpers/sync-fuzz-oracle.ts) after every sync step. 10,000 steps in
 * all by default, split over a few seeds. A failure names its seed and step:
 * `SYNC_FUZZ_SEED=<n> npx vitest run test/sync-fuzz.test.ts` replays it (several seeds: comma
 * separated); `SYNC_FUZZ_OPS=<n>` sets the steps per seed, for long runs.
 */
const DEFAULT_SEEDS = [1, 2, 3, 4];
const TOTAL_DEFAULT_OPS = 10_000;

const seeds = process.env.SYNC_FUZZ_SEED
  ? process.env.SYNC_FUZZ_SEED.split(',').map((s) => Number.parseInt(s.trim(), 10))
  : DEFAULT_SEEDS;
const opsPerSeed = Number.parseInt(
  process.env.SYNC_FUZZ_OPS ?? String(Math.ceil(TOTAL_DEFAULT_OPS / DEFAULT_SEEDS.length)),
  10,
);

describe('the sync fuzz', () => {
  for (const seed of seeds) {
    it(`seed ${seed}: ${opsPerSeed} steps keep every version and converge at every barrier`, async () => {
      const stats = await runSyncFuzz({ seed, ops: opsPerSeed });
      console.log(`sync fuzz seed ${seed}: ${JSON.stringify(stats)}`);
      // the run did what it is for: edits, cycles, faults and barriers all happened
      expect(stats.userOps).toBeGreaterThan(opsPerSeed / 2);
      expect(stats.cycles).toBeGreaterThan(opsPerSeed / 10);
      expect(stats.faults).toBeGreaterThan(0);
      expect(stats.barriers).toBeGreaterThan(1);
    }, 600_000);
  }

  it('the oracle notices a sync that does not keep what it replaces', async () => {
    await expect(runSyncFuzz({ seed: 7, ops: 1500, sabotageAttic: true })).rejects.toThrow(
      /seed 7, step \d+: \d+ version\(s\) lost[\s\S]*SYNC_FUZZ_SEED=7[\s\S]*last \d+ operations/,
    );
  }, 120_000);

  it('the barrier check notices a sync that reports folders it did not make', async () => {
    await expect(runSyncFuzz({ seed: 8, ops: 1500, sabotageMkdirs: true })).rejects.toThrow(
      /seed 8, step \d+: the trees differ after a barrier[\s\S]*SYNC_FUZZ_SEED=8/,
    );
  }, 120_000);
});
