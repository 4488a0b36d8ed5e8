import { randomBytes } from 'node:crypto';
import { describeError, isBerthError } from '../errors.js';
import { runExec } from '../exec/run-exec.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { ConfinedRoot } from '../workspace/confined-root.js';
import type { HotReloadDecision } from './preview-types.js';

export interface CanaryOptions {
  /** The host folder the canary is written under (the workspace), through the confined ops. */
  hostRoot: string;
  /** The app's folder below hostRoot. */
  components: string[];
  /** The same folder as the container sees it. */
  containerDir: string;
  user: string;
  /** How long after the host write an event may take to arrive (default 2 s). */
  settleMs?: number;
  /** How long inotifywait may take to set up its watch (default 15 s: a busy engine). */
  setupMs?: number;
  /**
   * A synced workspace: carries the host write to the container's volume (a sync barrier);
   * the settle time counts from when it returns. Called again after the canary is removed.
   */
  deliver?: () => Promise<void>;
}

/**
 * Decides, for one preview, whether file events from the host reach its container (a bind mount
 * on Linux: yes; Docker Desktop's file sharing, WSL2 with Windows-side files, some network
 * filesystems: often no). inotifywait watches the app's folder inside the container; once it
 * says its watch is set, berth writes a canary file into that folder on the host (through
 * ConfinedRoot: the workspace is container-writable) and waits for the event. The canary is
 * removed after. Any failure (no inotifywait in an app's own image, no watch) decides polling,
 * which works everywhere, only slower.
 */
export async function runHotReloadCanary(
  runtime: ContainerRuntime,
  containerId: string,
  options: CanaryOptions,
): Promise<HotReloadDecision> {
  const settleMs = options.settleMs ?? 2000;
  const setupMs = options.setupMs ?? 15_000;
  const name = `.berth-canary-${randomBytes(6).toString('hex')}`;
  const path = [...options.components, name].join('/');
  const root = new ConfinedRoot(options.hostRoot);
  const stop = new AbortController();
  let written = false;
  let writtenAt = 0;
  let stderr = '';
  let stdout = '';

  const decision = new Promise<HotReloadDecision>((resolve) => {
    const setupTimer = setTimeout(
      () => resolve(polling(`inotifywait set up no watch within ${setupMs / 1000} s`)),
      setupMs,
    );
    const write = () => {
      clearTimeout(setupTimer);
      try {
        root.writeFile(path, Buffer.from('berth hot-reload canary; removed at once\n'));
        written = true;
        writtenAt = performance.now();
      } catch (err) {
        resolve(polling(`the canary could not be written on the host (${describeError(err)})`));
        return;
      }
      const settle = () =>
        setTimeout(
          () =>
            resolve(
              polling(
                `no inotify event reached the container within ${settleMs} ms of a host write${options.deliver ? ' and its sync' : ''}`,
              ),
            ),
          settleMs,
        ).unref();
      if (!options.deliver) return settle();
      options
        .deliver()
        .then(settle, (err: unknown) =>
          resolve(polling(`the canary's sync to the container's volume failed (${describeError(err)})`)),
        );
    };
    const exec = runExec(runtime, containerId, {
      argv: [
        'timeout',
        String(Math.ceil((setupMs + settleMs) / 1000) + 5),
        'inotifywait',
        '-m',
        '-e',
        'create,moved_to,close_write',
        '--format',
        '%f',
        options.containerDir,
      ],
      user: options.user,
      timeoutMs: setupMs + settleMs + 10_000,
      signal: stop.signal,
      onStderr: (chunk) => {
        stderr += chunk.toString();
        if (!written && stderr.includes('Watches established.')) write();
      },
      onStdout: (chunk) => {
        stdout += chunk.toString();
        if (written && stdout.split('\n').includes(name)) {
          const ms = Math.round(performance.now() - writtenAt);
          resolve({
            mode: 'inotify',
            reason: `a host write reached the container${options.deliver ? ', carried by a sync barrier,' : ''} as an inotify event in ${ms} ms`,
          });
        }
      },
    });
    void exec.then(
      (r) => {
        clearTimeout(setupTimer);
        const said = r.stderr.trim().split('\n').pop() ?? '';
        if (r.exitCode === 127 || /not found/.test(said)) resolve(polling('the image has no inotifywait'));
        else
          resolve(
            polling(`inotifywait ended (exit ${r.exitCode}${said ? `: ${said}` : ''}) before an event`),
          );
      },
      (err: unknown) => resolve(polling(`the canary could not run in the container (${describeError(err)})`)),
    );
  });
  try {
    return await decision;
  } finally {
    stop.abort();
    if (written) {
      removeCanary(root, path);
      // the volume loses it too; a failure here leaves it to the next sync
      await options.deliver?.().catch(() => undefined);
    }
  }
}

/** The canary goes again (already gone is fine: the container may have removed it). */
function removeCanary(root: ConfinedRoot, path: string): void {
  try {
    root.remove(path);
  } catch (err) {
    if (!isBerthError(err, 'NOT_FOUND')) throw err;
  }
}

function polling(why: string): HotReloadDecision {
  return { mode: 'polling', reason: `${why}: the dev server polls for changes` };
}
