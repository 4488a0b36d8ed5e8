import { chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { openBerth } from '../../src/app/open-berth.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { HubConfig } from '../../src/config/types.js';
import type { Hub } from '../../src/hub/hub.js';
import type { UnitRole } from '../../src/hub/unit-role.js';
import { silentLogger } from '../../src/logger.js';
import type { ContainerRuntime } from '../../src/runtime/container-runtime.js';
import type { Store } from '../../src/store/store.js';
import { TEST_DIR_PREFIX } from './sweep.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), TEST_DIR_PREFIX));
}

export interface TestHub extends AsyncDisposable {
  dir: string;
  home: string;
  hub: Hub;
  config: HubConfig;
  runtime: ContainerRuntime;
  store: Store;
  /** Rewrites berth.yaml and returns a hub over the new config (same store and runtime). */
  reconfigure(projects: Record<string, unknown>): Hub;
}

export interface TestHubOptions {
  /** Projects as written in berth.yaml; each `path` folder is created. */
  projects?: Record<string, Record<string, unknown>>;
  /** Copy this fixture folder (under test/fixtures) instead. */
  fixture?: string;
  /** berth.yaml `ops:` section. */
  ops?: Record<string, unknown>;
  /** false: exec always through the engine, never the in-container runner. */
  runner?: boolean;
  /** chown project folders to this uid:gid. */
  owner?: { uid: number; gid: number };
  /** Roles of a project's unit beyond its project container. */
  roles?: UnitRole[];
}

/** A throwaway hub in a temp folder; disposing brings it down and deletes the folder. */
export function createTestHub(options: TestHubOptions): TestHub {
  const dir = makeTempDir();
  const home = join(dir, '.berth-home');
  if (options.fixture) cpSync(join(FIXTURES, options.fixture), dir, { recursive: true });
  else writeConfig(dir, options.projects ?? {}, options.ops);
  const config = loadConfig({ cwd: dir, file: 'berth.yaml' });
  for (const p of config.projects) {
    mkdirSync(p.path, { recursive: true });
    if (options.owner) chownSync(p.path, options.owner.uid, options.owner.gid);
  }
  const berth = openBerth({
    config,
    home,
    logger: silentLogger(),
    ...(options.runner === false ? { agent: false } : {}),
    ...(options.roles ? { roles: options.roles } : {}),
  });
  const { runtime, store, hub } = berth;
  const current = { hub };
  return {
    dir,
    home,
    get hub() {
      return current.hub;
    },
    config,
    runtime,
    store,
    reconfigure(projects) {
      writeConfig(dir, projects);
      const next = loadConfig({ cwd: dir, file: 'berth.yaml' });
      for (const p of next.projects) mkdirSync(p.path, { recursive: true });
      current.hub = berth.hubFor(next);
      return current.hub;
    },
    async [Symbol.asyncDispose]() {
      try {
        await current.hub.down();
      } finally {
        await berth.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function writeConfig(dir: string, projects: Record<string, unknown>, ops?: Record<string, unknown>): void {
  writeFileSync(join(dir, 'berth.yaml'), stringify({ version: 1, ...(ops ? { ops } : {}), projects }));
}

/** A busybox project definition with small limits, for fast tests. */
export function busybox(path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { path, image: 'berth-test/busybox', resources: { cpus: 0.5, memory: '64m', pids: 128 }, ...extra };
}
