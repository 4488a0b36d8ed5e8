import { silentLogger } from '../../src/logger.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { Sessions } from '../../src/sessions/sessions.js';
import { Store } from '../../src/store/store.js';

export interface TestSessions {
  sessions: Sessions;
  store: Store;
  runtime: DockerRuntime;
}

/** Sessions over the real engine with their own BERTH_HOME; close `store` when done. */
export function openTestSessions(home: string): TestSessions {
  const store = Store.open(home);
  const runtime = new DockerRuntime(silentLogger());
  const sessions = new Sessions({ runtime, table: store.sessions(), logger: silentLogger(), home });
  return { sessions, store, runtime };
}
