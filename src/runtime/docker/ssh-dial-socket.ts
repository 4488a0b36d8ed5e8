import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { BerthError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { sshDialFailure } from './ssh-failure.js';

export interface SshDialOptions {
  /** The ssh client (default `ssh` on PATH). */
  command?: string;
  args: string[];
  /** `ssh://user@host:port`, for messages and logs. */
  endpoint: string;
  keyPath: string | undefined;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

const STDERR_CAP = 8192;

/**
 * One Engine API connection: an `ssh … docker system dial-stdio` process, its stdin and stdout
 * as the two directions of the stream. It is what http sees as the socket, for ordinary
 * requests and for hijacked ones (exec, attach) alike; ending the writable side closes only
 * the remote's stdin, so an exec sees EOF on its stdin and still sends its output.
 *
 * When ssh ends having given the API not one byte, the stream fails with what ssh said (see
 * ssh-failure.ts) instead of http's "socket hang up".
 */
export class SshDialSocket extends Duplex {
  private readonly child: ChildProcessWithoutNullStreams;
  private received = false;
  private stderr = '';
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SshDialOptions) {
    super({ allowHalfOpen: true });
    this.child = spawn(options.command ?? 'ssh', options.args, {
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const { stdin, stdout, stderr } = this.child;
    stdout.on('data', (chunk: Buffer) => {
      this.received = true;
      if (!this.push(chunk)) stdout.pause();
    });
    stdout.on('end', () => {
      // nothing came: wait for ssh's exit to say why, rather than end the stream without a word
      if (this.received) this.push(null);
    });
    stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < STDERR_CAP) this.stderr += chunk.toString('utf8').slice(0, STDERR_CAP);
    });
    // writing to an ssh that is gone: its exit decides what the stream reports
    stdin.on('error', () => undefined);
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      this.destroy(
        err.code === 'ENOENT'
          ? new BerthError(
              'ENGINE_UNREACHABLE',
              `the engine at ${options.endpoint} needs the ssh client, which is not installed here ` +
                '(Debian: apt-get install openssh-client).',
              { endpoint: options.endpoint },
            )
          : err,
      );
    });
    this.child.on('close', (code, signal) => this.onSshEnd(code, signal));
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.child.stdin.write(chunk)) done();
    else this.child.stdin.once('drain', () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.child.stdin.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.stopIdleTimer();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    done(err);
  }

  /** Idle in a keep-alive pool: it must not keep the process alive, and goes after `ms`. */
  idle(ms: number): void {
    this.setRef(false);
    this.stopIdleTimer();
    this.idleTimer = setTimeout(() => this.destroy(), ms);
    this.idleTimer.unref();
  }

  /** Taken from the pool for a request. */
  busy(): void {
    this.stopIdleTimer();
    this.setRef(true);
  }

  /** As net.Socket's: http's agent calls it on a socket it takes from its pool. */
  ref(): this {
    this.setRef(true);
    return this;
  }

  unref(): this {
    this.setRef(false);
    return this;
  }

  private setRef(on: boolean): void {
    // the stdio pipes are net sockets underneath, each holding the event loop by itself
    type Handle = { ref?(): unknown; unref?(): unknown };
    const { stdin, stdout, stderr } = this.child;
    const handles = [this.child, stdin, stdout, stderr] as Handle[];
    for (const handle of handles) {
      if (on) handle.ref?.();
      else handle.unref?.();
    }
  }

  private stopIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private onSshEnd(code: number | null, signal: NodeJS.Signals | null): void {
    const { endpoint, logger } = this.options;
    if (this.stderr.trim() !== '')
      logger.debug({ ns: 'berth:runtime', endpoint, code, signal, ssh: this.stderr.trim() }, 'ssh said');
    if (this.destroyed) return;
    if (!this.received && code !== 0) {
      this.destroy(
        sshDialFailure({
          endpoint,
          exitCode: code,
          signal,
          stderr: this.stderr,
          keyPath: this.options.keyPath,
        }),
      );
      return;
    }
    // stdout has ended by now ('close' comes after it); when it brought nothing it was held back
    if (!this.received) this.push(null);
  }
}
