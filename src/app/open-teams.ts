import { createLogger, type Logger } from '../logger.js';
import { openRuntime } from './open-berth.js';
import { caBundleFromEnv } from '../preview/ca-bundle.js';
import { previewPortRange } from '../preview/port-pool.js';
import { Previews } from '../preview/previews.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { berthHome, Store } from '../store/store.js';
import { teamsHubId } from '../team/team-labels.js';
import { TeamService } from '../team/team-service.js';

export interface OpenTeamsOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Already open (then not closed here): a server that has its own berth passes these. */
  store?: Store;
  runtime?: ContainerRuntime;
  /** PEM bundle for preview containers (default: BERTH_CA_BUNDLE of `env`). */
  caBundle?: string;
}

export interface Teams extends AsyncDisposable {
  home: string;
  teams: TeamService;
  close(): Promise<void>;
}

/**
 * The team workspaces of a BERTH_HOME, wired on their own: a team needs no berth.yaml, only the
 * store, the engine and the preview containers.
 */
export function openTeams(options: OpenTeamsOptions = {}): Teams {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger();
  const home = options.home ?? berthHome(env);
  const store = options.store ?? Store.open(home);
  const runtime = options.runtime ?? openRuntime({ logger, env, home });
  const portRange = previewPortRange(env);
  const caBundle = options.caBundle ?? caBundleFromEnv(env);
  const teams = new TeamService({
    ...(portRange ? { portRange } : {}),
    runtime,
    store,
    home,
    logger,
    // two homes on one engine may both have a team `web`: names carry the home's id
    previews: new Previews(runtime, { namePrefix: `berth-${teamsHubId(home)}` }),
    ...(caBundle !== undefined ? { caBundle } : {}),
  });
  const close = async () => {
    // the synced teams' agent streams and loops end first
    await teams.close();
    if (!options.runtime) runtime.close();
    if (!options.store) store.close();
  };
  return { home, teams, close, [Symbol.asyncDispose]: close };
}
