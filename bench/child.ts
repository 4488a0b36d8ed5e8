import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI the bench spawns: `node bin/berth.js …`, as a user or an MCP client would. */
export const BERTH_BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

/**
 * Every git a child runs (fixtures and baseline scripts) leaves out its automatic, detached
 * `gc`/maintenance: after a commit of 10,000 loose objects it would repack in the background,
 * taking CPU from the next measured run and writing into a `.git` while it is being removed
 * (the ENOTEMPTY of a removal). berth's own session repositories have `gc.auto = 0` already.
 */
const QUIET_GIT: NodeJS.ProcessEnv = {
  GIT_CONFIG_COUNT: '2',
  GIT_CONFIG_KEY_0: 'gc.auto',
  GIT_CONFIG_VALUE_0: '0',
  GIT_CONFIG_KEY_1: 'maintenance.auto',
  GIT_CONFIG_VALUE_1: 'false',
};

export interface ChildResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** stdout as text (only its first HEAD_BYTES when `counted`). */
  stdout: string;
  /** Every stdout byte, counted here as it arrives. */
  stdoutBytes: number;
  stderr: string;
  /** ms from spawn until the first stdout chunk arrived; undefined if none came. */
  firstStdoutMs: number | undefined;
  /** ms from spawn until the process has exited and its output is closed. */
  ms: number;
}

export interface ChildOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** stdout is counted, not kept: only its first HEAD_BYTES are (for a 200 MB stream). */
  counted?: boolean;
}

const HEAD_BYTES = 4096;

/** Runs a program (no shell) and waits for it to exit and close its output. */
export function runCommand(
  program: string,
  args: string[],
  options: ChildOptions = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...QUIET_GIT, ...options.env },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let firstStdoutMs: number | undefined;
    let stdoutBytes = 0;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      firstStdoutMs ??= performance.now() - started;
      if (!options.counted) stdout.push(chunk);
      else if (stdoutBytes < HEAD_BYTES) stdout.push(chunk.subarray(0, HEAD_BYTES - stdoutBytes));
      stdoutBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (exitCode, signal) =>
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(stderr).toString('utf8'),
        firstStdoutMs,
        ms: performance.now() - started,
      }),
    );
  });
}

/** Like runCommand, but a non-zero exit is an error carrying the program's stderr. */
export async function mustRun(
  program: string,
  args: string[],
  options: ChildOptions = {},
): Promise<ChildResult> {
  const result = await runCommand(program, args, options);
  if (result.exitCode !== 0) {
    const why = result.exitCode ?? result.signal;
    throw new Error(`\`${program} ${args.join(' ')}\` exited with ${why}: ${result.stderr.trim()}`);
  }
  return result;
}

/** A spawned `berth …` server that said where it listens on stderr. */
export interface BerthServer {
  url: string;
  /** Its stderr so far (the tail), for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after a grace period. Never throws. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 8 * 1024;

/**
 * Spawns `node bin/berth.js <args>` with BERTH_HOME set to `home` and waits until its stderr
 * matches `ready` (whose first group is the URL). Its stderr is read the whole run: a full pipe
 * would block the server's synchronous log writes.
 */
export async function spawnBerthServer(
  args: string[],
  home: string,
  ready: RegExp,
  signal: AbortSignal,
): Promise<BerthServer> {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], {
    env: { ...process.env, BERTH_HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  const stop = () => stopChild(child);
  const said = () => (stderr.trim() === '' ? '' : `; its stderr: ${stderr.trim()}`);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const finish = (err: Error | undefined, url?: string) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        child.stderr.off('data', onData);
        if (err) reject(err);
        else resolve(url!);
      };
      // added after the tail collector, so `stderr` already holds this chunk
      const onData = () => {
        const match = ready.exec(stderr);
        if (match) finish(undefined, match[1]);
      };
      const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
      const what = `\`berth ${args.map((a, i) => (args[i - 1] === '--token' ? '<token>' : a)).join(' ')}\``;
      const timer = setTimeout(
        () => finish(new Error(`${what} did not listen within ${READY_TIMEOUT_MS} ms${said()}`)),
        READY_TIMEOUT_MS,
      );
      child.stderr.on('data', onData);
      child.once('exit', (code, sig) =>
        finish(new Error(`${what} exited with ${code ?? sig} before listening${said()}`)),
      );
      child.once('error', (err) => finish(err));
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
    return { url, stderrTail: () => stderr.trim(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const within = (ms: number) =>
    Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  child.kill('SIGTERM');
  if (await within(STOP_GRACE_MS)) return;
  child.kill('SIGKILL');
  await within(STOP_GRACE_MS);
}
