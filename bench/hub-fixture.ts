import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, openBerth, type Hub, type HubConfig } from '../src/index.js';
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

/** Wires the hub through openBerth, as the CLI does, with a temporary BERTH_HOME. */
export function openBenchHub(dir: string, projects: string[], options: BenchHubOptions = {}): BenchHub {
  mkdirSync(dir, { recursive: true });
  for (const name of projects) mkdirSync(join(dir, name));
  const configFile = join(dir, 'berth.yaml');
  writeFileSync(configFile, configText(projects, options));
  const logger = createLogger();
  const home = join(dir, '.berth-home');
  const berth = openBerth({ cwd: dir, home, logger });
  const { config, hub } = berth;
  // the same hub and store over a runtime with its agent off: every exec through the engine
  const engine = openBerth({ config, home, logger, store: berth.store, agent: false });
  const engineHub = engine.hub;
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
        await engine.close();
        await berth.close();
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
