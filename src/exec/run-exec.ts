import { randomBytes } from 'node:crypto';
import { BerthError } from '../errors.js';
import type { ContainerRuntime, ExecTarget, RawExecOptions } from '../runtime/container-runtime.js';
import { EXEC_MARKER_ENV } from '../runtime/kill-tree.js';
import { OutputCapture } from './output-capture.js';
import { DEFAULT_OUTPUT_CAP } from './stream-cap.js';

export interface ExecRequest {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  user?: string;
  /** Kill the whole process tree after this many ms. */
  timeoutMs?: number;
  /** Bytes kept per stream (default 1 MiB); the rest is dropped and marked. */
  outputCap?: number;
  /** Returning false pauses the command's output until `drain` resolves (backpressure). */
  onStdout?: (chunk: Buffer) => boolean | void;
  onStderr?: (chunk: Buffer) => boolean | void;
  drain?: () => Promise<void>;
  /** Aborting kills the process tree, like a timeout. */
  signal?: AbortSignal;
  /** The id every process of this run carries (see runtime/kill-tree.ts); generated when not given. */
  marker?: string;
  /**
   * How to end the run on timeout or abort; resolves true when it did. Default: kill the
   * processes that carry the marker (the runtime's `exec.kill`).
   */
  kill?: () => Promise<boolean>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
  /** What happened beyond the command's own output, e.g. it was killed for memory. */
  notice?: string;
  /**
   * Set when the run was to be killed (timeout or abort) and the kill could not be carried out:
   * it failed, missed its deadline or could not reach the engine. The command's processes may
   * still be running.
   */
  killFailed?: true;
}

export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** After the kill, how long to wait for the stream to close before detaching. */
const DRAIN_AFTER_KILL_MS = 3000;

/** A kill that has not finished by then will not: stop waiting for the command. */
const KILL_DEADLINE_MS = 5_000;

/** Exit code reported when a run was stopped and the engine could not tell us one. */
export const KILLED_EXIT_CODE = 137;

/**
 * Runs argv in a container: streams chunks as they come, keeps capped copies, enforces the
 * timeout by killing the process tree inside the container. Never throws on a non-zero exit.
 * How the command gets there is the runtime's choice (`exec.run`).
 */
export async function runExec(
  runtime: ContainerRuntime,
  container: string | ExecTarget,
  request: ExecRequest,
): Promise<ExecResult> {
  const target: ExecTarget = typeof container === 'string' ? { id: container } : container;
  validateArgv(request.argv);
  validateEnv(request.env ?? {});
  const stdout = new OutputCapture(request.outputCap ?? DEFAULT_OUTPUT_CAP);
  const stderr = new OutputCapture(request.outputCap ?? DEFAULT_OUTPUT_CAP);
  const marker = request.marker ?? randomBytes(12).toString('hex');
  const detach = new AbortController();
  const started = performance.now();
  let timedOut = false;
  let killFailed = false;
  let killing: Promise<void> | undefined;

  const killTree = () =>
    runtime.exec.kill(target, marker, {
      deadlineMs: KILL_DEADLINE_MS,
      ...(request.user !== undefined ? { user: request.user } : {}),
    });
  const kill = (): Promise<void> => {
    killing ??= (async () => {
      try {
        if (!(await (request.kill ?? killTree)())) {
          killFailed = true;
          detach.abort();
        }
        setTimeout(() => detach.abort(), DRAIN_AFTER_KILL_MS).unref();
      } catch {
        // no engine, the container is gone or takes no exec (pids exhausted): nothing more
        // will come, and whatever still runs was not killed by us
        killFailed = true;
        detach.abort();
      }
    })();
    return killing;
  };
  const timer = setTimeout(() => {
    timedOut = true;
    void kill();
  }, request.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const onAbort = () => void kill();
  request.signal?.addEventListener('abort', onAbort, { once: true });
  if (request.signal?.aborted) onAbort();

  try {
    const options: RawExecOptions = {
      cmd: request.argv,
      env: { ...(request.env ?? {}), [EXEC_MARKER_ENV]: marker },
      ...(request.cwd !== undefined ? { workingDir: request.cwd } : {}),
      ...(request.user !== undefined ? { user: request.user } : {}),
      onStdout: (chunk) => {
        stdout.push(chunk);
        return request.onStdout?.(chunk);
      },
      onStderr: (chunk) => {
        stderr.push(chunk);
        return request.onStderr?.(chunk);
      },
      ...(request.drain ? { drain: request.drain } : {}),
      signal: detach.signal,
    };
    const raw = await runtime.exec.run(target, options);
    // the kill may still be under way when the stream closed: its outcome belongs in the result
    if (killing) await killing;
    return {
      exitCode: raw.exitCode ?? KILLED_EXIT_CODE,
      stdout: stdout.text(),
      stderr: stderr.text(),
      timedOut,
      truncated: stdout.truncated || stderr.truncated,
      durationMs: Math.round(performance.now() - started),
      ...(killFailed ? { killFailed: true as const } : {}),
    };
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
    if (killing) await killing;
  }
}

export function validateArgv(argv: string[]): void {
  if (argv.length === 0 || argv[0] === undefined || argv[0].trim() === '') {
    throw new BerthError('EMPTY_COMMAND', 'the command is empty; give a program to run, e.g. `-- npm test`');
  }
  if (argv.some((a) => a.includes('\0'))) {
    throw new BerthError('INVALID_ARGUMENT', 'the command contains a NUL byte');
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateEnv(env: Record<string, string>): void {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name))
      throw new BerthError(
        'INVALID_ARGUMENT',
        `environment name "${name}" is not valid; use letters, digits and "_"`,
      );
    if (value.includes('\0'))
      throw new BerthError('INVALID_ARGUMENT', `environment value of ${name} contains a NUL byte`);
  }
}
