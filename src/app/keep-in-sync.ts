import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SyncService } from '../sync/sync-service.js';

/**
 * What the MCP server and the ops side-car do while they run: keep every synced project in
 * sync. A project that cannot be watched (no side-car yet) is logged and left; it does not stop
 * the server.
 */
export async function keepInSync(sync: SyncService, logger: Logger): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  for (const project of sync.synced()) {
    try {
      stops.push(
        await sync.watch([project.name], {
          onError: (name, err) =>
            logger.warn({ project: name, err: describeError(err) }, 'sync failed; retrying'),
        }),
      );
    } catch (err) {
      logger.warn({ project: project.name, err: describeError(err) }, 'not keeping this project in sync');
    }
  }
  return async () => {
    for (const stop of stops) await stop();
  };
}
