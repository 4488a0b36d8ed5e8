import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { AttachedProcess, AttachOptions, RawExecOptions, RawExecResult } from '../container-runtime.js';
import { ExecStream } from '../exec-stream.js';
import { EXEC_MARKER_ENV } from '../kill-tree.js';
import { SentinelScanner } from './sentinel-scanner.js';
import { shellCommand, shellHello } from './shell-script.js';

/** A new shell that has not answered by then is not going to. */
const HELLO_TIMEOUT_MS = 5000;
/** Idle shells kept per container; more are made when more commands run at once. */
const MAX_IDLE = 4;

/** What a shell channel needs from its runtime: a process to attach, a way to kill a marker. */
export interface ShellHost {
  attach(options: AttachOptions): Promise<AttachedProcess>;
  /** Ends every process that carries the marker (see kill-tree.ts). */
  kill(marker: string, deadlineMs: number): Promise<unknown>;
}

interface Running {
  options: RawExecOptions;
  ended: { out: boolean; err: boolean };
  /** From the `E <code>` marker (the `X` one told the stream already). */
  exitCode?: number;
  /** Output, exit, grace and abort (a full consumer pauses the shell, and the command with it). */
  stream: ExecStream;
}

/**
 * Runs commands in a container that is not berth's (a Compose service) through long-lived
 * attached shells instead of one engine exec per command: the engine's exec set-up costs tens
 * of milliseconds, a line to a waiting shell does not. Each shell runs one command at a time;
 * see shell-script.ts for the framing. A shell that misbehaves is killed and never reused. When
 * the image cannot do this (no /bin/sh, mkfifo or cat), `exec` returns undefined before anything
 * ran, and the caller uses the engine.
 */
export class ShellChannel {
  private readonly idle: PooledShell[] = [];
  private unsupported = false;

  constructor(
    private readonly host: ShellHost,
    private readonly containerId: string,
    private readonly logger: Logger,
  ) {}

  async exec(options: RawExecOptions): Promise<RawExecResult | undefined> {
    if (this.unsupported || options.user !== undefined) return undefined;
    let shell = this.idle.pop();
    while (shell && !shell.isAlive) shell = this.idle.pop();
    shell ??= await this.open();
    if (!shell) return undefined;
    const outcome = await shell.run(options);
    if (outcome.kind === 'unsupported') {
      this.unsupported = true;
      this.discard(shell);
      return undefined;
    }
    if (outcome.reusable && this.idle.length < MAX_IDLE) this.idle.push(shell);
    else this.discard(shell);
    return outcome.result;
  }

  /** Ends every idle shell (the side-car is stopping). */
  close(): void {
    for (const shell of this.idle.splice(0)) shell.close();
  }

  private async open(): Promise<PooledShell | undefined> {
    try {
      return await PooledShell.start(this.host);
    } catch (err) {
      this.logger.debug({ err, container: this.containerId.slice(0, 12) }, 'no attached shell');
      this.unsupported = true;
      return undefined;
    }
  }

  private discard(shell: PooledShell): void {
    shell.close();
    // it may be blocked on a child that keeps a FIFO open: end it and its copies
    void this.host.kill(shell.marker, 10_000).catch(() => undefined);
  }
}

type Outcome = { kind: 'ran'; result: RawExecResult; reusable: boolean } | { kind: 'unsupported' };

class PooledShell {
  readonly marker = randomBytes(12).toString('hex');
  private readonly sentinel = `BERTH-${randomBytes(12).toString('hex')}-`;
  private readonly out = new SentinelScanner(this.sentinel);
  private readonly err = new SentinelScanner(this.sentinel);
  private proc!: AttachedProcess;
  private alive = true;
  private hello?: () => void;
  private running?: Running;
  private unsupportedSeen = false;

  static async start(host: ShellHost): Promise<PooledShell> {
    const shell = new PooledShell();
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the shell did not answer')), HELLO_TIMEOUT_MS);
      shell.hello = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    shell.proc = await host.attach({
      cmd: ['/bin/sh'],
      env: { [EXEC_MARKER_ENV]: shell.marker },
      onStdout: (c) => shell.onChunk('out', c),
      onStderr: (c) => shell.onChunk('err', c),
      onClose: () => shell.onClose(),
    });
    shell.proc.write(shellHello(shell.sentinel));
    try {
      await ready;
    } catch (err) {
      shell.close();
      throw err;
    }
    return shell;
  }

  async run(options: RawExecOptions): Promise<Outcome> {
    if (!this.alive) return { kind: 'ran', result: { exitCode: undefined }, reusable: false };
    // the copies get a grace period once the command exited; a shell still waiting after it is
    // given up, like one whose caller detached
    const stream = new ExecStream(options, this.proc, () => undefined);
    const running: Running = { options, ended: { out: false, err: false }, stream };
    if (!stream.how) {
      this.running = running;
      const id = randomBytes(8).toString('hex');
      this.proc.write(shellCommand(this.sentinel, id, options.cmd, options.env ?? {}, options.workingDir));
    }
    const result = await stream.result;
    const reusable = stream.how === 'ended' && !this.unsupportedSeen;
    if (this.running === running) {
      // bytes held back as a possible marker start were output after all
      if (!reusable) this.flushHeld(running);
      this.running = undefined;
    }
    if (this.unsupportedSeen) return { kind: 'unsupported' };
    return { kind: 'ran', result, reusable };
  }

  get isAlive(): boolean {
    return this.alive;
  }

  close(): void {
    this.alive = false;
    this.proc.close();
  }

  private flushHeld(running: Running): void {
    const out = this.out.rest();
    const err = this.err.rest();
    if (out.length > 0) running.options.onStdout?.(out);
    if (err.length > 0) running.options.onStderr?.(err);
  }

  private onChunk(stream: 'out' | 'err', chunk: Buffer): void {
    const { data, markers } = (stream === 'out' ? this.out : this.err).push(chunk);
    const running = this.running;
    if (data.length > 0 && running) {
      if (stream === 'out') running.stream.stdout(data);
      else running.stream.stderr(data);
    }
    for (const marker of markers) this.onMarker(stream, marker);
  }

  private onMarker(stream: 'out' | 'err', marker: string): void {
    if (marker === 'R') return this.hello?.();
    const running = this.running;
    if (!running) return;
    if (marker === 'F') {
      this.unsupportedSeen = true;
      running.ended[stream] = true;
      if (running.ended.out && running.ended.err) running.stream.lost();
      return;
    }
    const [kind, code] = marker.split(' ');
    if (kind === 'X' && code !== undefined) return running.stream.exited(Number(code));
    if (kind === 'E') {
      if (code !== undefined) running.exitCode = Number(code);
      running.ended[stream] = true;
      if (running.ended.out && running.ended.err) running.stream.end(running.exitCode);
    }
  }

  private onClose(): void {
    this.alive = false;
    // the shell or its container went away mid-command: like a detached exec
    this.running?.stream.lost();
  }
}
