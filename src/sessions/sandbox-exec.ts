import { runExec, type ExecRequest, type ExecResult } from '../exec/run-exec.js';
import type { ContainerRuntime, ExecTarget } from '../runtime/container-runtime.js';
import { within } from '../runtime/within.js';
import { reapSandbox, reapSandboxReport } from './sandbox-reap.js';

export interface SandboxExecOutcome {
  result: ExecResult;
  /** The sandbox has to be restarted: it stopped, or it holds processes nothing could end. */
  restart: boolean;
}

/** Ending leftovers normally takes well under a second; past this a restart is quicker. */
const REAP_DEADLINE_MS = 5000;

const INSPECT_DEADLINE_MS = 3000;

/** Event timestamps have whole-second precision on some engines; look a little further back. */
const EVENT_SLACK_MS = 1500;

/**
 * Runs one tool call in a session's container and makes sure it ends with the call: every process
 * in the sandbox but its init and main process is stopped before the step is committed (see
 * sandbox-reap.ts), so between two calls nothing of the agent's runs, a step holds all of its
 * command's work and a fork bomb cannot outlive the call. This ends concurrent commands of the
 * same sandbox too: callers run one call at a time per session. It also watches the container, so a
 * sandbox that dies (gVisor stops the whole sandbox when it runs out of memory) ends the call at
 * once, and it says why a command was killed when the kernel did it for memory.
 */
export async function execInSandbox(
  runtime: ContainerRuntime,
  target: ExecTarget & { id: string },
  request: ExecRequest,
  memoryLimit: string,
): Promise<SandboxExecOutcome> {
  const containerId = target.id;
  const since = new Date(Date.now() - EVENT_SLACK_MS);
  const reapOptions = { deadlineMs: REAP_DEADLINE_MS };
  const reap = () => reapSandbox(runtime, target, reapOptions);
  const stop = new AbortController();
  const forward = () => stop.abort();
  request.signal?.addEventListener('abort', forward, { once: true });
  if (request.signal?.aborted) stop.abort();
  const watching = new AbortController();
  let died = false;
  void runtime.containers.wait(containerId, watching.signal).then(
    () => {
      if (watching.signal.aborted) return;
      died = true;
      stop.abort();
    },
    () => undefined,
  );
  let result: ExecResult;
  try {
    // a timeout or an abort ends everything too, not only what kept the call's marker
    result = await runExec(runtime, target, { ...request, kill: reap, signal: stop.signal });
  } finally {
    watching.abort();
    request.signal?.removeEventListener('abort', forward);
  }
  // (a kill that failed here is followed by the reap below, or by the restart)
  delete result.killFailed;
  // This never throws. A second pass follows when the first ended anything of the agent's:
  // until its last process died it could queue commands (the runtime's agent reads its requests
  // in order, so by the time it reads the second reap every queued one has been started, and is
  // killed by it). When the first pass found nothing, nothing could queue after it. After that
  // nothing of the agent's runs until the next call.
  const first = died ? 'failed' : await reapSandboxReport(runtime, target, reapOptions);
  const ended = first === 'clean' || (first === 'killed' && (await reap()));
  if (!ended) {
    // the engine can take many seconds to answer during a fork storm; it is only a report
    const info = await within(INSPECT_DEADLINE_MS, runtime.containers.inspect(containerId));
    const stopped = died || (info !== undefined && info.state !== 'running');
    const why = !stopped
      ? 'the command left processes that could not be stopped from inside (the pids limit was probably reached)'
      : info?.oomKilled
        ? `the sandbox ran out of memory (limit ${memoryLimit}) and stopped`
        : 'the sandbox container stopped during the command';
    return { result: withNotice(result, `${why}; ${RESTARTED}`), restart: true };
  }
  if (result.exitCode === 137 && !result.timedOut && !stop.signal.aborted) {
    const kills = await runtime.events.countOomKills(containerId, since).catch(() => 0);
    if (kills > 0) {
      const notice = `killed by the kernel for memory: the session's limit is ${memoryLimit}; the session keeps working`;
      return { result: withNotice(result, notice), restart: false };
    }
  }
  return { result, restart: false };
}

const RESTARTED =
  'berth restarted it: the workspace is intact and every step so far is kept, but no process survived';

function withNotice(result: ExecResult, notice: string): ExecResult {
  return { ...result, notice };
}
