import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openBerth, silentLogger } from '../src/index.js';
import { DEFAULT_OPS, type HubConfig } from '../src/config/types.js';
import { Sessions } from '../src/sessions/sessions.js';
import { runAlternating, type TimedSeries } from './alternating-runs.js';
import { mustRun, runCommand } from './command.js';
import { describe, log } from './log.js';
import { SESSION_STEP_REPLAYS, SESSION_WARMUP_RUNS } from './options.js';
import {
  benchSessionExec,
  compareToScript,
  type ScriptComparison,
  type SessionExecFigures,
} from './session-exec.js';
import { makeBenchProject, type BenchProject } from './session-project.js';
import {
  BASELINE_RUN_FLAGS,
  medianSteps,
  timeBaselineSteps,
  timeBerthStartSteps,
  type StepTimes,
} from './session-start-steps.js';
import { median, medianSummary, ratio, type MedianSummary } from './stats.js';

const IMAGE = 'berth-test/busybox';
/** Sessions need no projects. */
const NO_PROJECTS: HubConfig = { hubId: 'bench-sessions', projects: [], ops: DEFAULT_OPS };
const APPLY_FILES = 100;
const START_RATIO_AIM = 0.5;
/** A tool call is quick: it gets more runs than a start. */
const EXEC_RUNS_PER_START = 4;
const CHANGE_LINE = 'changed in the session';

/** What a user would write by hand; $1 project, $2 destination, $3 image. */
const BASELINE_SCRIPT =
  'cp -a "$1" "$2" && cd "$2" && rm -rf .git && git init -q && git add -A && ' +
  'git -c user.name=b -c user.email=b@b commit -qm base && ' +
  `docker run -d ${BASELINE_RUN_FLAGS} -v "$2":/workspace -w /workspace "$3" sleep 3600`;

export interface SessionFigures {
  project: { files: number; bytes: number; uncommitted: BenchProject['uncommitted'] };
  start: ScriptComparison & {
    aim: { ratioAtMost: number; met: boolean };
    /** Medians over replays of each step, one step at a time (not the timed runs). */
    steps: { replays: number; berth: StepTimes; baseline: StepTimes };
  };
  apply: {
    files: number;
    runs: number;
    warmupRuns: number;
    order: string;
    berth: MedianSummary;
    rsync: MedianSummary;
    ratio: number;
  };
  /** A changing tool call, per runtime the engine has. */
  exec: SessionExecFigures[];
}

/**
 * `Sessions.start` on a 10,000-file git project against a cp/git/docker run script, then
 * `Sessions.apply` of 100 changed files against `rsync -a` of the same files, then one changing
 * tool call against `docker exec` plus a hand-made commit (session-exec.ts).
 */
export async function benchSession(root: string, runs: number, signal: AbortSignal): Promise<SessionFigures> {
  const dir = join(root, 'session');
  const home = join(dir, 'home');
  mkdirSync(dir, { recursive: true });
  log('session: writing the 10,000-file project and committing it');
  const project = await makeBenchProject(join(dir, 'project'), APPLY_FILES);
  const berth = openBerth({ config: NO_PROJECTS, home, logger: silentLogger() });
  const { runtime, store } = berth;
  const sessions = new Sessions({ runtime, table: store.sessions(), logger: silentLogger(), home });
  let copies = 0;
  const freshPath = () => join(dir, `copy-${++copies}`);
  try {
    const berthStart: TimedSeries = {
      label: 'berth session start',
      samples: [],
      async measure() {
        const started = performance.now();
        const s = await sessions.start({ path: project.path, runtime: 'runc', image: IMAGE });
        const ms = performance.now() - started;
        await sessions.discard(s.id);
        if (s.state !== 'running') throw new Error(`session ${s.id} is ${s.state} after start`);
        return ms;
      },
    };
    const baselineStart: TimedSeries = {
      label: 'baseline script',
      samples: [],
      async measure() {
        const dest = freshPath();
        let containerId = '';
        try {
          const result = await runCommand('sh', ['-c', BASELINE_SCRIPT, 'sh', project.path, dest, IMAGE]);
          containerId = result.stdout.trim();
          if (result.exitCode !== 0)
            throw new Error(`baseline script exited with ${result.exitCode}: ${result.stderr.trim()}`);
          return result.ms;
        } finally {
          if (containerId) await mustRun('docker', ['rm', '-f', containerId]);
          rmSync(dest, { recursive: true, force: true });
        }
      },
    };
    await runAlternating({ name: 'session start', warmupRuns: SESSION_WARMUP_RUNS, runs, signal }, [
      berthStart,
      baselineStart,
    ]);

    log(`session start: ${SESSION_STEP_REPLAYS} step-by-step replays of each`);
    const berthSteps: StepTimes[] = [];
    const baselineSteps: StepTimes[] = [];
    for (let i = 0; i < SESSION_STEP_REPLAYS; i++) {
      signal.throwIfAborted();
      berthSteps.push(await timeBerthStartSteps(runtime, project.path, freshPath(), IMAGE));
      baselineSteps.push(await timeBaselineSteps(project.path, freshPath(), IMAGE));
    }

    const staged = stageChangedFiles(project, join(dir, 'staged'));
    const listFile = join(dir, 'apply-files.txt');
    writeFileSync(listFile, `${project.applyTargets.join('\n')}\n`);
    const applySeries: TimedSeries = {
      label: 'berth session apply',
      samples: [],
      async measure() {
        const host = freshPath();
        let id: string | undefined;
        try {
          cpSync(project.path, host, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
          id = (await sessions.start({ path: host, runtime: 'runc', image: IMAGE })).id;
          const changed = await sessions.exec(id, [
            '/bin/sh',
            '-c',
            `for f in "$@"; do echo "${CHANGE_LINE}" >> "$f"; done`,
            'sh',
            ...project.applyTargets,
          ]);
          if (changed.exitCode !== 0 || !changed.commit)
            throw new Error(`changing ${APPLY_FILES} files in the session failed: ${changed.stderr.trim()}`);
          const started = performance.now();
          const report = await sessions.apply(id);
          const ms = performance.now() - started;
          id = undefined;
          if (report.written.length !== APPLY_FILES || report.conflicts.length > 0)
            throw new Error(
              `apply wrote ${report.written.length} files with ${report.conflicts.length} conflicts, ` +
                `expected ${APPLY_FILES} and none`,
            );
          expectChanged(host, project);
          return ms;
        } finally {
          if (id) await sessions.discard(id);
          rmSync(host, { recursive: true, force: true });
        }
      },
    };
    const rsyncSeries: TimedSeries = {
      label: 'rsync -a',
      samples: [],
      async measure() {
        const host = freshPath();
        try {
          cpSync(project.path, host, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
          const result = await mustRun('rsync', ['-a', `--files-from=${listFile}`, `${staged}/`, `${host}/`]);
          expectChanged(host, project);
          return result.ms;
        } finally {
          rmSync(host, { recursive: true, force: true });
        }
      },
    };
    await runAlternating({ name: 'session apply', warmupRuns: SESSION_WARMUP_RUNS, runs, signal }, [
      applySeries,
      rsyncSeries,
    ]);

    const exec: SessionExecFigures[] = [];
    const runtimes = (await runtime.ping()).runtimes.includes('runsc') ? ['runc', 'runsc'] : ['runc'];
    for (const name of runtimes as ('runc' | 'runsc')[]) {
      exec.push(
        await benchSessionExec(sessions, project.path, dir, name, runs * EXEC_RUNS_PER_START, signal),
      );
    }

    return {
      project: { files: project.files, bytes: project.bytes, uncommitted: project.uncommitted },
      start: {
        ...compareToScript(berthStart.samples, baselineStart.samples, runs, BASELINE_SCRIPT),
        aim: {
          ratioAtMost: START_RATIO_AIM,
          met: median(berthStart.samples) / median(baselineStart.samples) <= START_RATIO_AIM,
        },
        steps: {
          replays: SESSION_STEP_REPLAYS,
          berth: medianSteps(berthSteps, median),
          baseline: medianSteps(baselineSteps, median),
        },
      },
      apply: {
        files: APPLY_FILES,
        runs,
        warmupRuns: SESSION_WARMUP_RUNS,
        order: 'berth and rsync each run, alternating which goes first',
        berth: medianSummary(applySeries.samples),
        rsync: medianSummary(rsyncSeries.samples),
        ratio: ratio(median(applySeries.samples), median(rsyncSeries.samples)),
      },
      exec,
    };
  } finally {
    for (const s of sessions.list()) {
      if (s.state !== 'running' && s.state !== 'starting') continue;
      await sessions
        .discard(s.id)
        .catch((err: unknown) => log(`could not discard ${s.id}: ${describe(err)}`));
    }
    const left = await runCommand('docker', ['ps', '-aq', '--filter', 'label=berth-bench=session']);
    const ids = left.stdout.split('\n').filter((l) => l !== '');
    if (ids.length > 0) await runCommand('docker', ['rm', '-f', ...ids]);
    await berth.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The project's apply targets with the line the session appends: what rsync copies over. */
function stageChangedFiles(project: BenchProject, staged: string): string {
  for (const rel of project.applyTargets) {
    const target = join(staged, rel);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(project.path, rel), target, { preserveTimestamps: true });
    writeFileSync(target, `${CHANGE_LINE}\n`, { flag: 'a' });
  }
  return staged;
}

function expectChanged(host: string, project: BenchProject): void {
  for (const rel of [project.applyTargets[0]!, project.applyTargets.at(-1)!]) {
    if (!readFileSync(join(host, rel), 'utf8').endsWith(`${CHANGE_LINE}\n`))
      throw new Error(`${rel} on the host does not carry the session's change`);
  }
}
