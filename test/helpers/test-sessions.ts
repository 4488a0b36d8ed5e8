import { openBerth } from '../../src/app/open-berth.js';
import { DEFAULT_OPS, type HubConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/logger.js';
import type { ContainerRuntime } from '../../src/runtime/container-runtime.js';
import { Sessions } from '../../src/sessions/sessions.js';
import type { Store } from '../../src/store/store.js';

export interface TestSessions {
  sessions: Sessions;
  store: Store;
  runtime: ContainerRuntime;
}

/** A hub config with no projects: sessions need none. */
const NO_PROJECTS: HubConfig = { hubId: 'sessions-test', projects: [], ops: DEFAULT_OPS };

/** Sessions over the real engine with their own BERTH_HOME; close `store` when done. */
export function openTestSessions(home: string): TestSessions {
  const { store, runtime, logger } = openBerth({ config: NO_PROJECTS, home, logger: silentLogger() });
  // (not recovered: a test decides when recover() runs)
  const sessions = new Sessions({ runtime, table: store.sessions(), logger, home });
  return { sessions, store, runtime };
}
