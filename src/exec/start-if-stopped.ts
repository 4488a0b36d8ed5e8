import { isBerthError } from '../errors.js';

/**
 * "Not running: start it and retry", written once. Runs `attempt`; when it finds its container
 * not running (NOT_RUNNING, which is thrown before anything ran), `start` brings the container
 * back (or finds it afresh) and `attempt` runs once more. A second NOT_RUNNING is the caller's to
 * report.
 */
export async function startIfStopped<T>(attempt: () => Promise<T>, start: () => Promise<void>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!isBerthError(err, 'NOT_RUNNING')) throw err;
    await start();
    return attempt();
  }
}
