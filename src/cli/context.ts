import { loadConfig } from '../config/load-config.js';
import type { HubConfig } from '../config/types.js';
import { Hub } from '../hub/hub.js';
import { createLogger, type Logger } from '../logger.js';
import { DockerRuntime } from '../runtime/docker/docker-runtime.js';
import type { Sessions } from '../sessions/sessions.js';
import { berthHome, Store } from '../store/store.js';

export interface GlobalOptions {
  file?: string;
  cwd?: string;
}

export interface CliContext extends AsyncDisposable {
  config: HubConfig;
  hub: Hub;
  store: Store;
  logger: Logger;
  runtime: DockerRuntime;
  /** BERTH_HOME */
  home: string;
}

/** Reads the config once and wires the hub's dependencies for one CLI command. */
export function openContext(options: GlobalOptions): CliContext {
  const logger = createLogger();
  const config = loadConfig({
    cwd: process.cwd(),
    ...(options.file !== undefined ? { file: options.file } : {}),
    ...(process.env.BERTH_IMAGE ? { defaultImage: process.env.BERTH_IMAGE } : {}),
  });
  const home = berthHome();
  const store = Store.open(home);
  const runtime = new DockerRuntime(logger);
  const hub = new Hub({ runtime, store, logger, config, home });
  return {
    config,
    hub,
    store,
    logger,
    runtime,
    home,
    async [Symbol.asyncDispose]() {
      store.close();
    },
  };
}

/** The sandboxed sessions of this BERTH_HOME (loaded only by the commands that use them). */
export async function openSessionsFor(ctx: CliContext): Promise<Sessions> {
  const { Sessions } = await import('../sessions/sessions.js');
  const sessions = new Sessions({
    runtime: ctx.runtime,
    table: ctx.store.sessions(),
    logger: ctx.logger,
    home: ctx.home,
  });
  // what a killed berth process left half-done is finished or undone first
  await sessions.recover();
  return sessions;
}
