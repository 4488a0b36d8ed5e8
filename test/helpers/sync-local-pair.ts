import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { SyncPair } from '../../src/sync/sync-pair.js';
import { LocalReplica } from '../../src/workspace/sync-tree/local-replica.js';
import type { Replica } from '../../src/workspace/sync-tree/replica.js';
import { makeTempDir } from './test-hub.js';

export interface LocalPair {
  dir: string;
  home: string;
  /** The "host" folder and the stand-in for the volume (a second folder, same code as the agent's). */
  localRoot: string;
  containerRoot: string;
  local: LocalReplica;
  container: Replica;
  store: Store;
  pair: SyncPair;
  /** A new SyncPair over the same store and folders (a restarted hub). */
  reopen(options?: { ignore?: string[]; container?: Replica }): SyncPair;
  close(): Promise<void>;
}

/**
 * A sync pair between two folders of this machine: the same controller, store and replica code
 * as a synced project, with the container side a LocalReplica too (what the agent runs), so the
 * engine-free tests and the fuzz drive the real thing.
 */
export function openLocalPair(options: { ignore?: string[]; now?: () => Date } = {}): LocalPair {
  const dir = makeTempDir();
  const home = join(dir, 'home');
  const localRoot = join(dir, 'local');
  const containerRoot = join(dir, 'container');
  for (const d of [home, localRoot, containerRoot]) mkdirSync(d, { recursive: true });
  const store = Store.open(home);
  const local = new LocalReplica({ root: localRoot, side: 'local' });
  const container = new LocalReplica({ root: containerRoot, side: 'container' });
  const make = (ignore: string[], c: Replica) =>
    new SyncPair({
      hubId: 'testhub',
      project: 'p',
      home,
      hostPath: localRoot,
      local,
      container: c,
      table: store.sync(),
      ignore,
      ...(options.now ? { now: options.now } : {}),
    });
  const ignore = options.ignore ?? ['.git'];
  const result: LocalPair = {
    dir,
    home,
    localRoot,
    containerRoot,
    local,
    container,
    store,
    pair: make(ignore, container),
    reopen: (o = {}) => make(o.ignore ?? ignore, o.container ?? container),
    close: async () => {
      await local.close();
      await container.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return result;
}
