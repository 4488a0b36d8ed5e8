import type { OutputSink, RawExecResult } from './container-runtime.js';
import { ExitGrace } from './exit-grace.js';
import { flowGate, type Pausable } from './flow-gate.js';

/**
 * How a run ended: its output ended (`ended`), it went quiet for the grace period after the
 * command exited (`grace`), the caller detached (`aborted`), or the transport went away
 * (`lost`: a shell that closed mid-command).
 */
export type StreamEnd = 'ended' | 'grace' | 'aborted' | 'lost';

/** What a transport reads from: one source for both streams, or one each. */
export type OutputSources = Pausable | { stdout: Pausable; stderr: Pausable };

/**
 * One command's output on its way to the caller, whatever carries it (an engine exec's stream,
 * the agent's FIFOs, an attached shell): two streams with backpressure, the exit code, the
 * grace period after the exit (see exit-grace.ts) and the abort. A transport feeds it what it
 * reads and says when its output ended; this decides when the run is over, exactly once, and
 * calls `stop` when the transport has to let go of a run that did not end by itself.
 */
export class ExecStream {
  readonly result: Promise<RawExecResult>;
  private ending: StreamEnd | undefined;
  private exitCode: number | undefined;
  /** endWith was called: only the exit code it waits for ends the run. */
  private closing = false;
  private resolve!: (result: RawExecResult) => void;
  private readonly grace: ExitGrace;
  private readonly toStdout: (chunk: Buffer) => void;
  private readonly toStderr: (chunk: Buffer) => void;
  private readonly onAbort = () => {
    if (!this.closing) this.settle('aborted', undefined);
  };

  constructor(
    private readonly sink: OutputSink,
    sources: OutputSources,
    private readonly stop: (how: 'grace' | 'aborted') => void,
    graceMs?: number,
  ) {
    this.result = new Promise((resolve) => (this.resolve = resolve));
    this.grace = new ExitGrace(() => this.settle('grace', this.exitCode), graceMs);
    const drain = this.grace.wrapDrain(sink.drain);
    if ('stdout' in sources) {
      this.toStdout = flowGate(sources.stdout, drain)(sink.onStdout);
      this.toStderr = flowGate(sources.stderr, drain)(sink.onStderr);
    } else {
      // one source: one gate, so a pause for one stream is not lifted by the other's drain
      const gate = flowGate(sources, drain);
      this.toStdout = gate(sink.onStdout);
      this.toStderr = gate(sink.onStderr);
    }
    if (sink.signal?.aborted) this.onAbort();
    else sink.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** How the run ended; undefined while it goes on. */
  get how(): StreamEnd | undefined {
    return this.ending;
  }

  stdout(chunk: Buffer): void {
    if (this.ending) return;
    this.toStdout(chunk);
    this.grace.activity();
  }

  stderr(chunk: Buffer): void {
    if (this.ending) return;
    this.toStderr(chunk);
    this.grace.activity();
  }

  /** The command exited; what it left in its streams still drains (the grace period runs). */
  exited(code: number): void {
    this.exitCode = code;
    this.grace.exited();
  }

  /** The output ended: the run is over, with this exit code or the one reported by `exited`. */
  end(exitCode: number | undefined = this.exitCode): void {
    this.settle('ended', exitCode);
  }

  /**
   * The output ended and the exit code follows (the engine records it a moment after its stream
   * closes): from now on an abort no longer detaches.
   */
  endWith(exitCode: () => Promise<number | undefined>): void {
    if (this.ending || this.closing) return;
    this.closing = true;
    this.sink.signal?.removeEventListener('abort', this.onAbort);
    this.grace.clear();
    // asked only now: a run that is over already (detached) asks the engine nothing more
    exitCode().then(
      (code) => this.settle('ended', code),
      () => this.settle('ended', undefined),
    );
  }

  /** The transport went away mid-run: over, with the exit code if one was reported. */
  lost(): void {
    this.settle('lost', this.exitCode);
  }

  private settle(how: StreamEnd, exitCode: number | undefined): void {
    if (this.ending) return;
    this.ending = how;
    this.grace.clear();
    this.sink.signal?.removeEventListener('abort', this.onAbort);
    if (how === 'grace' || how === 'aborted') this.stop(how);
    this.resolve({ exitCode: how === 'aborted' ? undefined : exitCode });
  }
}
