import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, DockerRuntime, Hub, loadConfig, Store, type HubConfig } from '../src/index.js';
import { describe, log } from './log.js';

export const BENCH_IMAGE = 'berth-test/busybox';

/** A throwaway hub in its own folder: berth.yaml, one folder per project, its own BERTH_HOME. */
export interface BenchHub {
  dir: string;
  /** The hub's berth.yaml, for the CLI's `-f`. */
  configFile: string;
  /** This hub's BERTH_HOME, for a CLI process that must share its store. */
  home: string;
  config: HubConfig;
  hub: Hub;
  /** The same hub with the in-container runner off: every exec goes through the engine. */
  engineHub: Hub;
  /** Removes the hub's containers and networks and closes the store; logs failures, never throws. */
  close(): Promise<void>;
}

export interface BenchHubOptions {
  /** berth.yaml `ops.allow_targets`; left out when not given. */
  opsAllowTargets?: string[];
}

/** Wires the hub the way src/cli/context.ts does, with a temporary BERTH_HOME. */
export function openBenchHub(dir: string, projects: string[], options: BenchHubOptions = {}): BenchHub {
  mkdirSync(dir, { recursive: true });
  for (const name of projects) mkdirSync(join(dir, name));
  const configFile = join(dir, 'berth.yaml');
  writeFileSync(configFile, configText(projects, options));
  const logger = createLogger();
  const config = loadConfig({ cwd: dir });
  const home = join(dir, '.berth-home');
  const store = Store.open(home);
  const deps = { runtime: new DockerRuntime(logger), store, logger, config, home };
  const hub = new Hub(deps);
  const engineHub = new Hub({ ...deps, runner: false });
  return {
    dir,
    configFile,
    home,
    config,
    hub,
    engineHub,
    async close() {
      try {
        await hub.down();
      } catch (err) {
        log(
          `could not remove the containers of hub ${config.hubId}: ${describe(err)}; ` +
            `remove them with: docker rm -f $(docker ps -aq --filter label=berth.hub=${config.hubId})`,
        );
      } finally {
        store.close();
      }
    },
  };
}

function configText(projects: string[], options: BenchHubOptions): string {
  const entries = projects.map(
    (name) => `  ${name}:\n    path: ./${name}\n    image: ${BENCH_IMAGE}\n    network: isolated\n`,
  );
  const allow = options.opsAllowTargets;
  const ops =
    allow === undefined
      ? ''
      : `ops:\n  allow_targets:\n${allow.map((t) => `    - ${JSON.stringify(t)}\n`).join('')}`;
  return `version: 1\n${ops}projects:\n${entries.join('')}`;
}
