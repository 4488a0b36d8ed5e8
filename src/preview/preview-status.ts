import { describeError } from '../errors.js';
import { runExec } from '../exec/run-exec.js';
import { containerProbes } from '../exec/wait/container-probes.js';
import { allOf, httpBelow500, tcpPort } from '../exec/wait/strategies.js';
import type { ContainerInfo, ContainerRuntime } from '../runtime/container-runtime.js';
import { HOT_RELOAD_FILE, LAUNCHER_LINE, PHASE_FILE } from './launcher-script.js';
import { PREVIEW_LABEL } from './preview-labels.js';
import type { HotReloadDecision, PreviewStatus } from './preview-types.js';

/** How many lines of its log a crashed or unready preview reports. */
export const LAST_LINES = 40;

/** Where the browser opens a preview: the published port on the host's loopback. */
export function previewUrl(port: number): string {
  return `http://localhost:${port}/`;
}

/** What the launcher left in the container: its phase (and since when) and the hot-reload decision. */
export interface LauncherState {
  phase?: string;
  phaseSince?: number;
  hotReload?: HotReloadDecision;
}

export async function readLauncherState(
  runtime: ContainerRuntime,
  id: string,
  user: string,
): Promise<LauncherState> {
  const r = await runExec(runtime, id, {
    argv: ['sh', '-c', `cat ${PHASE_FILE} 2>/dev/null || echo; cat ${HOT_RELOAD_FILE} 2>/dev/null`],
    user,
    timeoutMs: 10_000,
  });
  const [phaseLine = '', mode = '', reason = ''] = r.stdout.split('\n');
  const [phase, since] = phaseLine.trim().split(' ');
  const state: LauncherState = {};
  if (phase) state.phase = phase;
  if (since && /^\d+$/.test(since)) state.phaseSince = Number(since) * 1000;
  if (mode === 'inotify' || mode === 'polling') state.hotReload = { mode, reason };
  return state;
}

/** The last `lines` lines of the container's log, both streams. */
export async function logTail(runtime: ContainerRuntime, id: string, lines: number): Promise<string[]> {
  let text = '';
  const add = (c: Buffer) => {
    text += c.toString();
  };
  await runtime.containers.logs(id, { follow: false, tail: lines, onStdout: add, onStderr: add });
  const out = text.replace(/\r/g, '').split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out.slice(-lines);
}

/** How a stopped preview ended, from the launcher's last word in its log. */
export function endOf(lines: readonly string[]): { stopped: boolean; exitCode?: number; what?: string } {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (LAUNCHER_LINE.stopped.test(line)) return { stopped: true };
    const m = LAUNCHER_LINE.exited.exec(line);
    if (m) return { stopped: false, exitCode: Number(m[2]), what: m[1]! };
  }
  return { stopped: false };
}

/** One attempt at the health check the start waits for: TCP, then HTTP below 500, published port. */
export async function probeOnce(
  runtime: ContainerRuntime,
  id: string,
  port: number,
): Promise<string | undefined> {
  const signal = AbortSignal.timeout(6000);
  try {
    return await allOf(tcpPort(port), httpBelow500(port)).attempt(containerProbes(runtime, id), signal);
  } catch (err) {
    return describeError(err);
  }
}

export interface StatusOptions {
  /** A dev server that has not answered for this long after it started is `unhealthy`, not `starting`. */
  startGraceMs: number;
  user: string;
}

/** The status of one preview container, read live from the engine (any berth process can ask). */
export async function readStatus(
  runtime: ContainerRuntime,
  info: ContainerInfo,
  options: StatusOptions,
): Promise<PreviewStatus> {
  const port = Number(info.labels[PREVIEW_LABEL.port]);
  const status: PreviewStatus = {
    app: info.labels[PREVIEW_LABEL.app] ?? info.name,
    containerId: info.id,
    state: 'stopped',
    url: previewUrl(port),
    port,
  };
  if (info.state === 'running') {
    const full = await runtime.containers.inspect(info.id);
    if (full?.startedAt) status.startedAt = full.startedAt.toISOString();
    const launcher = await readLauncherState(runtime, info.id, options.user).catch(
      () => ({}) as LauncherState,
    );
    if (launcher.hotReload) status.hotReload = launcher.hotReload;
    if (launcher.phase === 'installing' || launcher.phase === 'deciding') {
      status.state = 'installing';
      return status;
    }
    const seen = await probeOnce(runtime, info.id, port);
    if (seen === undefined) {
      status.state = 'ready';
      return status;
    }
    const since = launcher.phaseSince ?? full?.startedAt?.getTime() ?? Date.now();
    status.state = Date.now() - since < options.startGraceMs ? 'starting' : 'unhealthy';
    status.detail =
      status.state === 'starting'
        ? `the dev server is starting (${seen})`
        : `the dev server runs but does not answer: ${seen}; see its log`;
    if (status.state === 'unhealthy') status.lastLines = await logTail(runtime, info.id, LAST_LINES);
    return status;
  }
  if (info.state === 'created') {
    status.detail = 'created, never started';
    return status;
  }
  const lines = await logTail(runtime, info.id, LAST_LINES);
  const end = endOf(lines);
  if (end.stopped) return status;
  status.state = 'crashed';
  status.lastLines = lines;
  if (end.exitCode !== undefined) status.exitCode = end.exitCode;
  const full = await runtime.containers.inspect(info.id);
  status.detail = full?.oomKilled
    ? 'it was killed for using more memory than its limit: raise limits.memory'
    : end.what !== undefined
      ? `the ${end.what} exited with code ${end.exitCode}`
      : 'the container stopped without a word from berth (killed?)';
  return status;
}
