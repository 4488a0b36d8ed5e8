import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WorkspacePlacement } from '../src/workspace/placement.js';
import type { ContainerRuntime } from '../src/runtime/container-runtime.js';
import { hardenedSpec } from '../src/runtime/hardened-spec.js';
import { populateSandbox } from '../src/sessions/sandbox-copy.js';
import { chownTreeAt } from '../src/workspace/tree-chown.js';
import { SESSION_UID } from '../src/sessions/sessions.js';
import { mustRun } from './command.js';
import { round } from './stats.js';

/** Milliseconds per step of one start, in the order they run. */
export type StepTimes = Record<string, number>;

/**
 * The steps of `Sessions.start` (git mode, runc, network none) replayed one at a time with the
 * same calls, each timed: where a session start spends its time. src/ is not changed for this.
 */
export async function timeBerthStartSteps(
  runtime: ContainerRuntime,
  project: string,
  dir: string,
  image: string,
): Promise<StepTimes> {
  const gitDir = join(dir, 'git');
  const workTree = join(dir, 'workspace');
  const times: StepTimes = {};
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    times[name] = round(performance.now() - started, 1);
  };
  let containerId: string | undefined;
  try {
    await step('image check (inspect)', () => runtime.images.inspect(image));
    // the same functions Sessions.start calls, one at a time
    mkdirSync(dir, { recursive: true });
    await step('copy .git data + work tree through fds, add -A, baseline commit', () =>
      populateSandbox(project, gitDir, workTree, { includeIgnored: false }),
    );
    await step('chown tree (fds)', async () => chownTreeAt(workTree, SESSION_UID, SESSION_UID));
    await step('container create', async () => {
      containerId = await runtime.containers.create(
        hardenedSpec({
          name: `berth-bench-steps-${Date.now()}`,
          image,
          // the agent, as Sessions.start has it on runc (the runtime makes and mounts its folder)
          agent: true,
          labels: { 'berth-bench': 'session' },
          env: { HOME: '/tmp' },
          user: `${SESSION_UID}:${SESSION_UID}`,
          workingDir: WorkspacePlacement.bind(workTree).containerPath(),
          mounts: [WorkspacePlacement.bind(workTree).bindMount()],
          limits: { cpus: 1, memoryBytes: 1024 ** 3, pids: 256 },
        }),
      );
    });
    await step('container start', () => runtime.containers.start(containerId!));
    await step('readiness (exec sh -c "exit 0")', async () => {
      const { exitCode } = await runtime.exec.run({ id: containerId! }, { cmd: ['/bin/sh', '-c', 'exit 0'] });
      if (exitCode !== 0) throw new Error(`readiness exec exited with ${exitCode}`);
    });
  } finally {
    if (containerId) await runtime.containers.remove(containerId).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

/** The baseline script cut at its `&&`s, each part its own `sh -c` child process. */
export async function timeBaselineSteps(project: string, dest: string, image: string): Promise<StepTimes> {
  const parts: [string, string][] = [
    ['cp -a', `cp -a "$1" "$2"`],
    ['rm -rf .git + git init', `cd "$2" && rm -rf .git && git init -q`],
    ['git add -A', `cd "$2" && git add -A`],
    ['git commit', `cd "$2" && git -c user.name=b -c user.email=b@b commit -qm base`],
    ['docker run -d', `docker run -d ${BASELINE_RUN_FLAGS} -v "$2":/workspace -w /workspace "$3" sleep 3600`],
  ];
  const times: StepTimes = {};
  let containerId = '';
  try {
    for (const [name, script] of parts) {
      const result = await mustRun('sh', ['-c', script, 'sh', project, dest, image]);
      if (name === 'docker run -d') containerId = result.stdout.trim();
      times[name] = round(result.ms, 1);
    }
  } finally {
    if (containerId) await mustRun('docker', ['rm', '-f', containerId]).catch(() => undefined);
    rmSync(dest, { recursive: true, force: true });
  }
  return times;
}

/** The flags of the baseline's `docker run`, plus a label so an interrupted run can be cleaned up. */
export const BASELINE_RUN_FLAGS =
  '--label berth-bench=session --network none --cap-drop ALL --security-opt no-new-privileges --user 1000:1000';

/** Per step, the median over several replays (`median` rounds to 0.1 ms). */
export function medianSteps(runs: StepTimes[], median: (samples: number[]) => number): StepTimes {
  const out: StepTimes = {};
  for (const name of Object.keys(runs[0] ?? {})) out[name] = round(median(runs.map((r) => r[name] ?? 0)), 1);
  return out;
}
