import { setMaxListeners } from 'node:events';
import { BerthError, describeError, isBerthError } from '../errors.js';
import { runExec } from '../exec/run-exec.js';
import { containerProbes } from '../exec/wait/container-probes.js';
import { allOf, httpBelow500, tcpPort } from '../exec/wait/strategies.js';
import { pause, waitUntilReady } from '../exec/wait/wait-strategy.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { runHotReloadCanary } from './hot-reload-canary.js';
import { HOT_RELOAD_FILE, LAUNCHER_LINE, STATE_DIR } from './launcher-script.js';
import type { PreviewPlan } from './preview-spec.js';
import { endOf, LAST_LINES, logTail, previewUrl, readLauncherState } from './preview-status.js';
import type { HotReloadDecision, PreviewApp, PreviewStatus, StartOptions } from './preview-types.js';

export const DEFAULT_READY_TIMEOUT_MS = 90_000;
export const DEFAULT_INSTALL_TIMEOUT_MS = 10 * 60_000;
/** How often the launcher's phase is read while the log is followed too (a missed line is no hang). */
const PHASE_POLL_MS = 1000;

export interface BringUpContext {
  runtime: ContainerRuntime;
  app: PreviewApp;
  plan: PreviewPlan;
  id: string;
  /**
   * When the container was (re)started, by the host's clock (the same kernel clock the
   * container's `date` reads): the log before this run's first launcher line is skipped.
   */
  startedAt: number;
  user: string;
  /** Where the canary is written instead of the workspace (tests: a folder the container does not see). */
  canaryHostRoot?: string;
  canarySettleMs?: number;
  options: StartOptions;
}

/**
 * Follows a just-started preview container to `ready`: its log goes to onProgress line by line,
 * the hot-reload canary runs beside the install (unless the decision is fixed or was made before
 * the container's last stop), then TCP and HTTP below 500 are awaited through the published port.
 * The container's exit is watched all along (the engine's wait, not a poll), so a dev server that
 * crashes is reported at once with the last lines of its log.
 */
export async function bringUp(ctx: BringUpContext): Promise<PreviewStatus> {
  const { runtime, app, id } = ctx;
  const started = Date.now();
  const done = new AbortController();
  // the exit watch, the log, the phase poll and each wait attempt listen to it at once
  setMaxListeners(64, done.signal);
  const exited = runtime.containers.wait(id, done.signal).then(() => !done.signal.aborted);
  let devStarted!: () => void;
  const devStart = new Promise<void>((resolve) => (devStarted = resolve));
  void followLog(ctx, done.signal, (line) => {
    if (LAUNCHER_LINE.devStarting.test(line)) devStarted();
  });
  void pollPhase(ctx, done.signal, devStarted);
  try {
    const decision = decideHotReload(ctx).catch(async (err: unknown): Promise<HotReloadDecision> => {
      // a container that crashed took the canary with it: its exit is what to report
      if ((await runtime.containers.inspect(id))?.state !== 'running') return new Promise(() => undefined);
      throw new BerthError(
        'UP_FAILED',
        `preview "${app.app}": the hot-reload decision failed: ${describeError(err)}`,
        { app: app.app, containerId: id },
      );
    });
    decision.catch(() => undefined);
    // the decision is awaited only for its errors: the launcher waits for it by itself
    const installTimeout = ctx.options.installTimeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS;
    const phase1 = await Promise.race([
      devStart.then(() => 'dev' as const),
      exited.then((gone) => (gone ? ('exited' as const) : ('dev' as const))),
      decision.then(() => new Promise<never>(() => undefined)),
      pause(installTimeout, done.signal).then(() => 'timeout' as const),
    ]);
    if (phase1 === 'exited') throw await crashed(ctx);
    if (phase1 === 'timeout') {
      throw await notReady(
        ctx,
        `the install and the hot-reload decision did not finish within ${Math.round(installTimeout / 1000)} s`,
      );
    }
    const readyTimeout = ctx.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const ready = waitUntilReady(
      allOf(tcpPort(app.port), httpBelow500(app.port)),
      containerProbes(runtime, id),
      { timeoutMs: readyTimeout, subject: `preview "${app.app}"`, signal: done.signal },
    ).then(
      () => 'ready' as const,
      (err: unknown) => err,
    );
    const outcome = await Promise.race([ready, exited.then((gone) => (gone ? ('exited' as const) : ready))]);
    if (outcome === 'exited') throw await crashed(ctx);
    if (outcome !== 'ready') {
      const running = (await runtime.containers.inspect(id))?.state === 'running';
      if (!running) throw await crashed(ctx);
      throw await notReady(ctx, isBerthError(outcome) ? outcome.message : describeError(outcome));
    }
    const hotReload = await decision;
    const info = await runtime.containers.inspect(id);
    const status: PreviewStatus = {
      app: app.app,
      containerId: id,
      state: 'ready',
      url: previewUrl(app.port),
      port: app.port,
      hotReload,
    };
    if (info?.startedAt) status.startedAt = info.startedAt.toISOString();
    ctx.options.onProgress?.(`ready at ${status.url} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return status;
  } finally {
    done.abort();
  }
}

/** The canary's answer (written for the launcher to read), a fixed mode, or the one kept from before. */
async function decideHotReload(ctx: BringUpContext): Promise<HotReloadDecision> {
  const { runtime, id, plan, app } = ctx;
  if (plan.fixedHotReload) {
    return { mode: plan.fixedHotReload, reason: `hotReload.polling is ${app.polling} in berth.team.yaml` };
  }
  const kept = (await readLauncherState(runtime, id, ctx.user)).hotReload;
  if (kept) return kept;
  const decision = await runHotReloadCanary(runtime, id, {
    hostRoot: ctx.canaryHostRoot ?? app.workspace,
    components: plan.appComponents,
    containerDir: plan.appDir,
    user: ctx.user,
    ...(ctx.canarySettleMs !== undefined ? { settleMs: ctx.canarySettleMs } : {}),
    // a synced workspace: the host write reaches the volume through a sync barrier
    ...(ctx.options.deliverHostWrites && ctx.canaryHostRoot === undefined
      ? { deliver: ctx.options.deliverHostWrites }
      : {}),
  });
  const tmp = `${STATE_DIR}/hot-reload.tmp`;
  const r = await runExec(runtime, id, {
    argv: [
      'sh',
      '-c',
      `mkdir -p ${STATE_DIR} && printf '%s\\n%s\\n' "$1" "$2" > ${tmp} && mv ${tmp} ${HOT_RELOAD_FILE}`,
      'sh',
      decision.mode,
      decision.reason,
    ],
    user: ctx.user,
    timeoutMs: 10_000,
  });
  if (r.exitCode !== 0)
    throw new Error(`writing the decision failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return decision;
}

/** The container's log, line by line, to onProgress, until the start is over. */
async function followLog(
  ctx: BringUpContext,
  signal: AbortSignal,
  onLine: (line: string) => void,
): Promise<void> {
  let partial = '';
  let thisRun = false;
  const take = (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      const begins = LAUNCHER_LINE.started.exec(line);
      if (begins) thisRun = Number(begins[1]) >= ctx.startedAt;
      if (!thisRun) continue;
      onLine(line);
      ctx.options.onProgress?.(line);
    }
  };
  try {
    // the earlier runs' log is replayed too (a follow from "now" would miss this run's first
    // lines); only a tail of it, since this run has printed little by the time this attaches
    await ctx.runtime.containers.logs(ctx.id, {
      follow: true,
      tail: 500,
      onStdout: take,
      onStderr: take,
      signal,
    });
  } catch {
    // the log is progress only; the phase poll and the exit watch decide
  }
}

/** Reads the launcher's phase now and then, in case the log line that says the dev server started was missed. */
async function pollPhase(ctx: BringUpContext, signal: AbortSignal, devStarted: () => void): Promise<void> {
  while (!signal.aborted) {
    await pause(PHASE_POLL_MS, signal);
    if (signal.aborted) return;
    const state = await readLauncherState(ctx.runtime, ctx.id, ctx.user).catch(() => undefined);
    if (state?.phase === 'starting') return devStarted();
  }
}

async function crashed(ctx: BringUpContext): Promise<BerthError> {
  const lines = await logTail(ctx.runtime, ctx.id, LAST_LINES).catch(() => [] as string[]);
  const end = endOf(lines);
  const info = await ctx.runtime.containers.inspect(ctx.id).catch(() => undefined);
  const what =
    end.what !== undefined
      ? `the ${end.what} exited with code ${end.exitCode}`
      : info?.oomKilled
        ? 'it was killed for using more memory than its limit (raise limits.memory)'
        : 'its container stopped';
  return new BerthError(
    'UP_FAILED',
    `preview "${ctx.app.app}" crashed: ${what}. Fix the app or its dev command in berth.team.yaml and start it again. ` +
      `Last lines of its log:\n${lines.join('\n')}`,
    {
      reason: 'CRASHED',
      app: ctx.app.app,
      containerId: ctx.id,
      ...(end.exitCode !== undefined ? { exitCode: end.exitCode } : {}),
      lastLines: lines,
    },
  );
}

async function notReady(ctx: BringUpContext, why: string): Promise<BerthError> {
  const lines = await logTail(ctx.runtime, ctx.id, LAST_LINES).catch(() => [] as string[]);
  return new BerthError(
    'NOT_READY',
    `${why}. The dev server must listen on 0.0.0.0:${ctx.app.port} inside the container and answer HTTP below 500; ` +
      `its container is left running (see its log, or stop it). Last lines of its log:\n${lines.join('\n')}`,
    { reason: 'NOT_READY', app: ctx.app.app, containerId: ctx.id, lastLines: lines },
  );
}
