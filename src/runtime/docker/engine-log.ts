import type Docker from 'dockerode';
import type { Logger } from '../../logger.js';

interface DialOptions {
  method?: string;
  path?: string;
}
type Dial = (options: DialOptions, callback: (err: unknown, data: unknown) => void) => void;

/**
 * Logs every Engine API request at debug level (method, path without its query, status, time to
 * the answer's headers) by wrapping the one function dockerode sends them all through. Nothing
 * is wrapped when debug is off, so the normal path costs nothing.
 */
export function logEngineCalls(docker: Docker, logger: Logger): void {
  if (!logger.isLevelEnabled('debug')) return;
  const modem = docker.modem as unknown as { dial: Dial };
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    const started = performance.now();
    const what = { method: options.method ?? 'GET', path: (options.path ?? '').replace(/\?.*$/, '') };
    dial(options, (err, data) => {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const status = (err as { statusCode?: unknown } | null)?.statusCode;
      if (err) logger.debug({ ns: 'berth:runtime', ...what, status, ms }, 'engine call failed');
      else logger.debug({ ns: 'berth:runtime', ...what, ms }, 'engine call');
      callback(err, data);
    });
  };
}
