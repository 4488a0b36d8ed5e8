import { BerthError } from '../../errors.js';

/** What a wait strategy can ask about one container; `container-probes.ts` builds it from a runtime. */
export interface ContainerProbes {
  /** Whether a shell command runs in the container now, and what it said when not. */
  shell(): Promise<{ ready: boolean; output: string }>;
  /**
   * Where the host reaches the container's `port`: the published host port when it has one, else
   * its address on its network; undefined when nowhere.
   */
  address(port: number): Promise<{ host: string; port: number } | undefined>;
  /** The container's output so far (both streams). */
  logs(): Promise<string>;
  /** False once the container has stopped: waiting longer cannot help. */
  running(): Promise<boolean>;
}

/** One check, tried until it passes or its time is up. */
export interface WaitStrategy {
  /** What is waited for, for messages: "an HTTP answer below 500 on port 5173". */
  readonly what: string;
  /** One attempt: undefined when ready, else what was seen (for the error at the end). */
  attempt(probes: ContainerProbes, signal: AbortSignal): Promise<string | undefined>;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between attempts (default 200 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** For messages: "project web", "session s-1a2b". */
  subject: string;
}

/**
 * Tries `strategy` until it passes; throws NOT_READY naming what was waited for, for how long,
 * and the last thing seen. Stops at once when the container stops, or when `signal` aborts.
 */
export async function waitUntilReady(
  strategy: WaitStrategy,
  probes: ContainerProbes,
  options: WaitOptions,
): Promise<void> {
  const started = Date.now();
  const interval = options.intervalMs ?? 200;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), options.timeoutMs);
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let last: string;
  // one listener for the whole wait, not one per attempt
  const timedOut = aborted(stop.signal);
  try {
    for (;;) {
      if (options.signal?.aborted) throw notReady(options, strategy, started, 'the wait was cancelled');
      // an attempt that hangs (a shell that never answers) must not outlast the wait
      const seen = await Promise.race([
        strategy.attempt(probes, stop.signal).catch((err: unknown) => describe(err)),
        timedOut,
      ]);
      if (seen === undefined) return;
      last = seen;
      if (!(await probes.running().catch(() => true))) {
        throw notReady(options, strategy, started, `the container stopped (last seen: ${last})`);
      }
      if (stop.signal.aborted) throw notReady(options, strategy, started, `last seen: ${last}`);
      await pause(interval, stop.signal);
      if (stop.signal.aborted && !options.signal?.aborted) {
        throw notReady(options, strategy, started, `last seen: ${last}`);
      }
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function notReady(options: WaitOptions, strategy: WaitStrategy, started: number, why: string): BerthError {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return new BerthError(
    'NOT_READY',
    `${options.subject} is not ready: waited ${seconds} s for ${strategy.what}; ${why}`,
    { waitedFor: strategy.what },
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function aborted(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve('the attempt did not finish in time');
    signal.addEventListener('abort', () => resolve('the attempt did not finish in time'), { once: true });
  });
}

/** Waits `ms`, or less when `signal` aborts first; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
