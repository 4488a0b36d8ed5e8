import { spawn } from 'node:child_process';

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn until the process has exited and its output is closed. */
  ms: number;
}

export interface CommandOptions {
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** Runs a program (no shell) and waits for it to exit. */
export function runCommand(
  program: string,
  args: string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (exitCode, signal) =>
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ms: performance.now() - started,
      }),
    );
  });
}

/** Like runCommand, but a non-zero exit is an error carrying the program's stderr. */
export async function mustRun(
  program: string,
  args: string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const result = await runCommand(program, args, options);
  if (result.exitCode !== 0) {
    const why = result.exitCode ?? result.signal;
    throw new Error(`\`${program} ${args.join(' ')}\` exited with ${why}: ${result.stderr.trim()}`);
  }
  return result;
}
