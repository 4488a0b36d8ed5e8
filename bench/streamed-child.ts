import { spawn } from 'node:child_process';

export interface StreamedChildResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** ms from spawn until the first stdout chunk reached this process; undefined if none came. */
  firstStdoutMs: number | undefined;
  /** ms from spawn until the process has exited and its output is closed. */
  ms: number;
  /** Every stdout byte, counted in this process as it arrives. */
  stdoutBytes: number;
  /** The first HEAD_BYTES of stdout, for checks. */
  stdoutHead: Buffer;
  stderr: string;
}

const HEAD_BYTES = 4096;

/**
 * Runs a program (no shell) whose stdout is read by this process chunk by chunk: counted, its
 * first bytes kept, the arrival of the first chunk timed. Aborting `signal` kills it.
 */
export function runStreamed(
  program: string,
  args: string[],
  signal: AbortSignal,
): Promise<StreamedChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let firstStdoutMs: number | undefined;
    let stdoutBytes = 0;
    const head: Buffer[] = [];
    let headBytes = 0;
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      firstStdoutMs ??= performance.now() - started;
      stdoutBytes += chunk.length;
      if (headBytes < HEAD_BYTES) {
        head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
        headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (exitCode, exitSignal) =>
      resolve({
        exitCode,
        signal: exitSignal,
        firstStdoutMs,
        ms: performance.now() - started,
        stdoutBytes,
        stdoutHead: Buffer.concat(head),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}
