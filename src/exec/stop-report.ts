import { DEFAULT_TIMEOUT_MS, type ExecResult } from './run-exec.js';

/** The exit status of a run stopped at its timeout, whose processes were killed (as timeout(1)). */
export const TIMED_OUT_EXIT_CODE = 124;

/**
 * The exit status of a run that was to be stopped (timeout or interrupt) when the kill could not
 * be carried out: it failed, missed its deadline or could not reach the engine, so the command's
 * processes may still be running (as timeout(1) exits 125 when it fails itself).
 */
export const KILL_FAILED_EXIT_CODE = 125;

/** The exit status of a run the user interrupted (SIGINT/SIGTERM), whose processes were killed. */
export const INTERRUPTED_EXIT_CODE = 130;

export interface StopReport {
  /** What to tell the user on stderr; undefined when the command ended by itself. */
  message?: string;
  exitCode: number;
}

/**
 * How a CLI reports the end of a run: the command's own exit status, or the reason berth stopped
 * it, told truthfully: "killed" only when the kill was carried out.
 */
export function stopReport(
  result: Pick<ExecResult, 'exitCode' | 'timedOut' | 'killFailed'>,
  /** The timeout the run had; the default one when the caller gave none. */
  how: { timeoutMs?: number; interrupted?: boolean },
): StopReport {
  const why = result.timedOut
    ? `timed out after ${how.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
    : how.interrupted
      ? 'interrupted'
      : undefined;
  if (why === undefined) return { exitCode: result.exitCode };
  if (result.killFailed) {
    return {
      message:
        `berth: ${why}, but the kill could not be carried out (it failed or could not reach the ` +
        'container engine): the processes of the command may still be running; check the engine, ' +
        'then stop them or restart the container',
      exitCode: KILL_FAILED_EXIT_CODE,
    };
  }
  if (result.timedOut) {
    return { message: `berth: ${why}; the process tree was killed`, exitCode: TIMED_OUT_EXIT_CODE };
  }
  return { exitCode: INTERRUPTED_EXIT_CODE };
}
