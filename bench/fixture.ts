import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, openBerth, type Berth, type Hub } from '../src/index.js';
import { runCommand } from './child.js';
import { describe, log } from './report.js';

export const BENCH_IMAGE = 'berth-test/busybox';

/** A throwaway berth in its own folder: berth.yaml, one folder per project, its own BERTH_HOME. */
export interface BenchHub {
  dir: string;
  /** The hub's berth.yaml, for the CLI's `-f`. */
  configFile: string;
  /** This hub's BERTH_HOME, for a CLI process that must share its store. */
  home: string;
  berth: Berth;
  /** The same hub with the in-container runner off: every exec goes through the engine. */
  engineHub: Hub;
  /** Brings the projects up; returns the first one's container id. */
  up(): Promise<string>;
  /** Removes the hub's containers and networks, closes the store and removes `dir`; never throws. */
  close(): Promise<void>;
}

export interface BenchHubOptions {
  /** berth.yaml `ops.allow_targets`; left out when not given. */
  opsAllowTargets?: string[];
}

/** Wires berth through openBerth(), as the CLI does, with a temporary BERTH_HOME. */
export function openBenchHub(dir: string, projects: string[], options: BenchHubOptions = {}): BenchHub {
  mkdirSync(dir, { recursive: true });
  for (const name of projects) mkdirSync(join(dir, name));
  const configFile = join(dir, 'berth.yaml');
  writeFileSync(configFile, configText(projects, options));
  const logger = createLogger();
  const home = join(dir, '.berth-home');
  const berth = openBerth({ cwd: dir, home, logger });
  const { config, hub } = berth;
  const engine = openBerth({ config, home, logger, store: berth.store, agent: false });
  return {
    dir,
    configFile,
    home,
    berth,
    engineHub: engine.hub,
    async up() {
      const [first] = await hub.up();
      if (!first) throw new Error('hub.up() returned no project');
      return first.containerId;
    },
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
        removeTree(dir);
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

/**
 * Removes a folder the bench made, retrying while something still writes into it (a container
 * being removed, a delete berth runs in the background); a folder that stays is logged, never
 * thrown: cleanup must not cost a part its figures.
 */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (err) {
    log(`could not remove ${path}: ${describe(err)}; remove it by hand`);
  }
}

/** Removes the containers, then the networks, that carry a label (`label=k=v`); logs, never throws. */
export async function removeLabelled(filter: string): Promise<void> {
  const kinds = { container: ['ps', '-aq', 'rm', '-f'], network: ['network', 'ls', '-q', 'network', 'rm'] };
  for (const [kind, args] of Object.entries(kinds)) {
    const list = args.slice(0, -2);
    try {
      const ids = (await runCommand('docker', [...list, '--filter', filter])).stdout
        .split('\n')
        .filter(Boolean);
      if (ids.length === 0) continue;
      const result = await runCommand('docker', [...args.slice(-2), ...ids]);
      if (result.exitCode !== 0) throw new Error(result.stderr.trim());
    } catch (err) {
      log(`could not remove the ${kind}s with ${filter}: ${describe(err)}; remove them by hand`);
    }
  }
}
