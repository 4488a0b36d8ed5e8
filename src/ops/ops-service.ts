import { randomBytes } from 'node:crypto';
import { BerthError, describeError } from '../errors.js';
import { runExec, validateArgv, validateEnv, type ExecResult } from '../exec/run-exec.js';
import { DEFAULT_OUTPUT_CAP, StreamCap } from '../exec/stream-cap.js';
import type { ExecOptions, ProjectService } from '../hub/projects.js';
import type { Logger } from '../logger.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { OpsRunTable, RunStatus } from '../store/ops-runs.js';
import { pathComponents } from '../workspace/relative-path.js';
import type { OpsPolicy } from './ops-policy.js';
import type { RunEvent, RunRequest } from './protocol.js';
import { parseTarget, targetText, type Target } from './target.js';
import { TargetQueue } from './target-queue.js';
import { WorkspacePlacement } from '../workspace/placement.js';

export interface PreparedRun {
  id: string;
  target: Target;
  argv: string[];
  request: RunRequest;
  /**
   * Runs it; resolves once the exit event has been sent. `onEvent` returning false means the reader is full: output pauses until `drain` resolves,
   * which stops the command on a full pipe instead of growing memory.
   */
  execute(
    onEvent: (e: RunEvent) => boolean | void,
    signal: AbortSignal,
    drain?: () => Promise<void>,
  ): Promise<void>;
}

/** How a prepared run reaches its container. */
type Runner = (argv: string[], options: ExecOptions) => Promise<ExecResult>;

export interface OpsDeps {
  hub: ProjectService;
  runtime: ContainerRuntime;
  runs: OpsRunTable;
  policy: OpsPolicy;
  logger: Logger;
}

/**
 * The side-car's one verb: run a command in a berth project container or an allowed Compose
 * service, with policy, a per-target queue, history and cancel. Every refusal happens in
 * prepare(), before anything runs.
 */
export class OpsService {
  private readonly queue: TargetQueue;
  private readonly active = new Map<string, AbortController>();

  constructor(private readonly deps: OpsDeps) {
    this.queue = new TargetQueue(deps.policy.maxConcurrent);
  }

  async prepare(request: RunRequest): Promise<PreparedRun> {
    const target = parseTarget(request.target);
    this.deps.policy.checkTarget(target);
    const argv = typeof request.command === 'string' ? ['/bin/sh', '-c', request.command] : request.command;
    validateArgv(argv);
    validateEnv(request.env ?? {});
    this.deps.policy.checkCommand(
      typeof request.command === 'string' ? request.command : request.command.join(' '),
    );
    const resolve = await this.resolver(target, request.cwd);
    const id = `run_${randomBytes(8).toString('hex')}`;
    return {
      id,
      target,
      argv,
      request,
      execute: (onEvent, signal, drain) =>
        this.execute(id, target, argv, request, resolve, onEvent, signal, drain),
    };
  }

  /** Cancels a queued or running run; false when there is no such active run. */
  cancel(id: string): boolean {
    const controller = this.active.get(id);
    if (!controller) return false;
    controller.abort(new Error('cancelled'));
    return true;
  }

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  /** Finds the container now (so a missing one is a 404) and returns how to run in it. */
  private async resolver(target: Target, cwd: string | undefined): Promise<Runner> {
    if (target.kind === 'project') {
      const name = target.name;
      const placement = WorkspacePlacement.forProject(this.deps.hub.project(name));
      const folder = cwd === undefined ? [] : pathComponents(cwd);
      const dir = placement.containerPath(folder);
      // the side-car owns the engine: it brings the project up when it is not
      return (argv, options) =>
        this.deps.hub.exec(name, argv, { ...options, cwd: dir, startIfStopped: true });
    }
    const { containers, self } = await this.deps.runtime.containers.findService(
      target.project,
      target.service,
    );
    const container = containers.find((c) => c.state === 'running');
    if (!container) {
      throw new BerthError(
        self ? 'POLICY_DENIED' : 'NOT_FOUND',
        self
          ? 'that service is the side-car itself, which never runs commands in its own container'
          : `no running container for ${targetText(target)}; start it with docker-compose up`,
      );
    }
    // not berth's container: the runtime serves it through attached shells where it can
    const service = { id: container.id, foreign: true };
    return (argv, options) =>
      runExec(this.deps.runtime, service, { ...options, argv, ...(cwd !== undefined ? { cwd } : {}) });
  }

  private async execute(
    id: string,
    target: Target,
    argv: string[],
    request: RunRequest,
    run: Runner,
    onEvent: (e: RunEvent) => boolean | void,
    signal: AbortSignal,
    drain?: () => Promise<void>,
  ): Promise<void> {
    const { runs } = this.deps;
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    this.active.set(id, controller);
    const name = targetText(target);
    runs.queued(id, name, request.command);
    onEvent({ type: 'start', run_id: id });
    const started = performance.now();
    const caps = {
      stdout: new StreamCap(request.maxOutputBytes ?? DEFAULT_OUTPUT_CAP),
      stderr: new StreamCap(request.maxOutputBytes ?? DEFAULT_OUTPUT_CAP),
    };
    const send =
      (type: 'stdout' | 'stderr') =>
      (chunk: Buffer): boolean | void => {
        const part = caps[type].take(chunk);
        const marker = caps[type].markOnce();
        let more: boolean | void = undefined;
        if (part) more = onEvent({ type, data: part });
        if (marker) more = onEvent({ type, data: marker });
        return more;
      };
    let release: (() => void) | undefined;
    try {
      release = await this.queue.acquire(name, controller.signal);
      runs.started(id);
      const result = await run(argv, {
        source: 'api',
        timeoutMs: request.timeoutMs ?? this.deps.policy.defaultTimeoutMs,
        signal: controller.signal,
        onStdout: send('stdout'),
        onStderr: send('stderr'),
        ...(drain ? { drain } : {}),
        ...(request.env !== undefined ? { env: request.env } : {}),
      });
      // the client was sent less than the command wrote only when a stream passed the cap;
      // the history's own 1 MiB copy is a separate matter, recorded with the run
      const truncated = caps.stdout.truncated || caps.stderr.truncated;
      const status: RunStatus = controller.signal.aborted
        ? 'cancelled'
        : result.timedOut
          ? 'timed-out'
          : result.exitCode === 0
            ? 'succeeded'
            : 'failed';
      runs.finished(id, {
        status,
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        timedOut: result.timedOut,
        truncated: truncated || result.truncated,
        stdout: result.stdout,
        stderr: result.stderr,
      });
      onEvent({
        type: 'exit',
        code: result.exitCode,
        duration_ms: result.durationMs,
        timed_out: result.timedOut,
        truncated,
      });
    } catch (err) {
      const cancelled = controller.signal.aborted;
      const message = cancelled ? 'cancelled before it started' : describeError(err);
      runs.finished(id, {
        status: cancelled ? 'cancelled' : 'error',
        exitCode: null,
        durationMs: Math.round(performance.now() - started),
        timedOut: false,
        truncated: false,
        stdout: '',
        stderr: '',
        error: message,
      });
      if (!cancelled && !(err instanceof BerthError)) this.deps.logger.error({ err, run: id }, 'run failed');
      onEvent({ type: 'stderr', data: Buffer.from(`berth: ${message}\n`) });
      onEvent({
        type: 'exit',
        code: cancelled ? 130 : 125,
        duration_ms: Math.round(performance.now() - started),
        timed_out: false,
        truncated: false,
      });
    } finally {
      release?.();
      signal.removeEventListener('abort', forward);
      this.active.delete(id);
    }
  }
}
