import { defineConfig } from 'vitest/config';

/**
 * Tests of pure logic: they need no container engine, so `npm run test:unit` runs them on any
 * machine. Everything else runs against the real engine (`npm test` runs both).
 */
export const UNIT_TESTS = [
  'test/config.test.ts',
  'test/error-status.test.ts',
  'test/guarded-server.test.ts',
  'test/host-tree-discipline.test.ts',
  'test/link-resolution.test.ts',
  'test/lint-layers.test.ts',
  'test/ops-protocol.test.ts',
  'test/output-capture.test.ts',
  'test/placement-discipline.test.ts',
  'test/preview-launch.test.ts',
  'test/preview-port-pool.test.ts',
  'test/runtime-capabilities.test.ts',
  'test/sandbox-git-isolation.test.ts',
  'test/runtime-discipline.test.ts',
  'test/sentinel-scanner.test.ts',
  'test/ssh-endpoint.test.ts',
  'test/status-table.test.ts',
  'test/sync-reconcile-props.test.ts',
  'test/sync-reconcile.test.ts',
  'test/sync-protocol.test.ts',
  'test/sync-tree-apply.test.ts',
  'test/sync-tree-content.test.ts',
  'test/sync-tree-race.test.ts',
  'test/sync-tree-scan.test.ts',
  'test/sync-tree-watch.test.ts',
  'test/sync-pair.test.ts',
  'test/team-detect.test.ts',
  'test/team-plan.test.ts',
  'test/team-git-url.test.ts',
  'test/sync-fuzz.test.ts',
  'test/store-members.test.ts',
  'test/stream-cap.test.ts',
  'test/wait-strategy.test.ts',
  'test/workspace-confinement.test.ts',
  'test/workspace-placement.test.ts',
  'test/workspace-text-logic.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS } },
      {
        extends: true,
        test: {
          name: 'engine',
          include: ['test/**/*.test.ts'],
          exclude: UNIT_TESTS,
          // fails fast without an engine, and sweeps what earlier runs left behind
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
    ],
  },
});
