import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Sessions } from '../src/sessions/sessions.js';
import { runAlternating, timedSeries, type TimedSeries } from './alternating-runs.js';
import { mustRun, runCommand } from './child.js';
import { expectExit } from './checks.js';
import { compare, ratioAtMost, type Comparison } from './comparison.js';
import { BENCH_IMAGE, openBenchHub, removeLabelled, removeTree } from './fixture.js';
import { SESSION_STEP_REPLAYS, SESSION_WARMUP_RUNS, type PartContext } from './options.js';
import { log, value, type PartResult } from './report.js';
import { makeBenchProject, type BenchProject } from './session-project.js';
import { median } from './stats.js';

const APPLY_FILES = 100;
const START_RATIO_AIM = 0.5;
/** A tool call is quick: it gets more runs than a start. */
const EXEC_RUNS_PER_START = 4;
const CHANGE_LINE = 'changed in the session';
const COPY = { recursive: true, verbatimSymlinks: true, preserveTimestamps: true } as const;

/** The flags of the baseline's `docker run`, plus a label so an interrupted run can be cleaned up. */
const BASELINE_RUN_FLAGS =
  '--label berth-bench=session --network none --cap-drop ALL --security-opt no-new-privileges --user 1000:1000';
/** The start baseline cut at its `&&`s; $1 project, $2 destination, $3 image. */
const BASELINE_STEPS: [string, string][] = [
  ['cp -a', 'cp -a "$1" "$2"'],
  ['rm -rf .git + git init', 'cd "$2" && rm -rf .git && git init -q'],
  ['git add -A', 'git add -A'],
  ['git commit', 'git -c user.name=b -c user.email=b@b commit -qm base'],
  ['docker run -d', `docker run -d ${BASELINE_RUN_FLAGS} -v "$2":/workspace -w /workspace "$3" sleep 3600`],
];
/** What a user would write by hand to start a session. */
const BASELINE_SCRIPT = BASELINE_STEPS.map(([, s]) => s).join(' && ');
/** What a user would run per tool call by hand: the command, then a commit of what changed. */
const EXEC_BASELINE_SCRIPT =
  'docker exec "$1" sh -c "echo step >> $2" && git --git-dir="$3" --work-tree="$4" add -A && ' +
  'git --git-dir="$3" --work-tree="$4" -c user.name=b -c user.email=b@b commit -qm step';

/**
 * `Sessions.start` on a 10,000-file git project against a cp/git/docker run script (its steps
 * reported by the start itself), then `Sessions.apply` of 100 changed files against `rsync -a`
 * of the same files, then one changing tool call against `docker exec` plus a hand-made commit,
 * on runc and (when the engine has it) runsc.
 */
export async function benchSession({ dir, options, signal }: PartContext): Promise<PartResult> {
  const runs = options.sessionRuns;
  const fixture = openBenchHub(dir, ['unused']);
  let copies = 0;
  const freshPath = () => join(dir, `copy-${++copies}`);
  let sessions: Sessions | undefined;
  try {
    log('session: writing the 10,000-file project and committing it');
    const project = await makeBenchProject(join(dir, 'project'), APPLY_FILES);
    const s = (sessions = await fixture.berth.sessions());
    const start = (path: string, runtime = 'runc', onStep?: (name: string, ms: number) => void) =>
      s.start({ path, runtime, image: BENCH_IMAGE, ...(onStep ? { onStep } : {}) });

    const berthStart = timedSeries('berth session start (library, to container ready)', async (also) => {
      const started = performance.now();
      const session = await start(project.path, 'runc', also);
      const ms = performance.now() - started;
      await s.discard(session.id);
      if (session.state !== 'running')
        throw new Error(`session ${session.id} is ${session.state} after start`);
      return ms;
    });
    const baselineStart = timedSeries('cp -a + git init/add/commit + docker run', async () => {
      const dest = freshPath();
      let containerId = '';
      try {
        const r = await runCommand('sh', ['-c', BASELINE_SCRIPT, 'sh', project.path, dest, BENCH_IMAGE]);
        containerId = r.stdout.trim();
        expectExit({ code: r.exitCode, stderr: r.stderr }, 'baseline script');
        return r.ms;
      } finally {
        if (containerId) await mustRun('docker', ['rm', '-f', containerId]);
        removeTree(dest);
      }
    });
    await runAlternating({ name: 'session start', warmupRuns: SESSION_WARMUP_RUNS, runs, signal }, [
      berthStart,
      baselineStart,
    ]);
    log(`session start: ${SESSION_STEP_REPLAYS} step-by-step replays of the baseline script`);
    const baselineSteps: Record<string, number[]> = {};
    for (let i = 0; i < SESSION_STEP_REPLAYS; i++) {
      signal.throwIfAborted();
      await replayBaselineSteps(project.path, freshPath(), baselineSteps);
    }

    const staged = stageChangedFiles(project, join(dir, 'staged'));
    const listFile = join(dir, 'apply-files.txt');
    writeFileSync(listFile, `${project.applyTargets.join('\n')}\n`);
    const apply = timedSeries('berth session apply (library, three-way)', async () => {
      const host = freshPath();
      let id: string | undefined;
      try {
        cpSync(project.path, host, COPY);
        id = (await start(host)).id;
        const script = `for f in "$@"; do echo "${CHANGE_LINE}" >> "$f"; done`;
        const changed = await s.exec(id, ['/bin/sh', '-c', script, 'sh', ...project.applyTargets]);
        if (changed.exitCode !== 0 || !changed.commit)
          throw new Error(`changing ${APPLY_FILES} files in the session failed: ${changed.stderr.trim()}`);
        const started = performance.now();
        const report = await s.apply(id);
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
        if (id) await s.discard(id);
        removeTree(host);
      }
    });
    const rsync = timedSeries(`rsync -a --files-from (the same ${APPLY_FILES} files)`, async () => {
      const host = freshPath();
      try {
        cpSync(project.path, host, COPY);
        const result = await mustRun('rsync', ['-a', `--files-from=${listFile}`, `${staged}/`, `${host}/`]);
        expectChanged(host, project);
        return result.ms;
      } finally {
        removeTree(host);
      }
    });
    await runAlternating({ name: 'session apply', warmupRuns: SESSION_WARMUP_RUNS, runs, signal }, [
      apply,
      rsync,
    ]);

    const tools: Comparison[] = [];
    const offers = (await fixture.berth.runtime.capabilities()).isolationLevels;
    for (const runtime of ['runc', 'runsc'].filter((n) => offers.some((o) => o.name === n && o.available))) {
      const [berth, baseline] = await benchToolCall(
        s,
        start,
        project.path,
        dir,
        runtime,
        runs * EXEC_RUNS_PER_START,
        signal,
      );
      tools.push(compare(`session tool call changing one file, ${runtime}`, berth, baseline));
    }

    const stepMedians = (steps: Record<string, number[]>) =>
      Object.fromEntries(Object.entries(steps).map(([name, ms]) => [name, median(ms)]));
    const stepsText = (steps: Record<string, number>) =>
      Object.entries(steps)
        .map(([name, ms]) => `${name} ${value(ms)}`)
        .join(', ');
    const berthSteps = stepMedians(berthStart.also);
    const scriptSteps = stepMedians(baselineSteps);
    const u = project.uncommitted;
    return {
      about: [
        `project of ${project.files} files, ${(project.bytes / 1e6).toFixed(1)} MB in a git repository, plus ` +
          `${u.changed} changed, ${u.untracked} untracked and ${u.deleted} deleted file(s) uncommitted; network none`,
        `start and apply: ${runs} measured runs each after ${SESSION_WARMUP_RUNS} warm-up, a fresh session (and host ` +
          `copy for apply) each run; tool calls: ${runs * EXEC_RUNS_PER_START} runs in one session; alternating`,
      ],
      comparisons: [
        compare('session start, runc', berthStart, baselineStart, { aim: ratioAtMost(START_RATIO_AIM) }),
        compare(`session apply of ${APPLY_FILES} changed files, transaction`, apply, rsync, { at: [50] }),
        ...tools,
      ],
      notes: [
        `baseline of start: sh -c '${BASELINE_SCRIPT}' sh <project> <dest> <image>`,
        `where start's time goes, ms (berth: median over the measured starts, as Sessions.start reports its steps):`,
        `  berth: ${stepsText(berthSteps)}`,
        `  baseline (median of ${SESSION_STEP_REPLAYS} replays, one sh per step): ${stepsText(scriptSteps)}`,
        `baseline of a tool call: sh -c '${EXEC_BASELINE_SCRIPT}' sh <container> <file> <git-dir> <workspace>`,
      ],
      details: { startSteps: { berth: berthSteps, baseline: scriptSteps } },
    };
  } finally {
    for (const session of sessions?.list() ?? []) {
      if (session.state !== 'running' && session.state !== 'starting') continue;
      await sessions
        ?.discard(session.id)
        .catch((err: unknown) => log(`could not discard ${session.id}: ${String(err)}`));
    }
    await removeLabelled('label=berth-bench=session');
    await fixture.close();
  }
}

/** The start baseline, one `sh -c` child per step, each step's time added to `into`. */
async function replayBaselineSteps(
  project: string,
  dest: string,
  into: Record<string, number[]>,
): Promise<void> {
  let containerId = '';
  try {
    for (const [i, [name, script]] of BASELINE_STEPS.entries()) {
      const inDest = i < 2 ? script : `cd "$2" && ${script}`;
      const r = await mustRun('sh', ['-c', inDest, 'sh', project, dest, BENCH_IMAGE]);
      if (name === 'docker run -d') containerId = r.stdout.trim();
      (into[name] ??= []).push(r.ms);
    }
  } finally {
    if (containerId) await runCommand('docker', ['rm', '-f', containerId]);
    removeTree(dest);
  }
}

/**
 * One session tool call that changes a file: `Sessions.exec` (exec, end of leftovers, one
 * commit) against `docker exec` plus `git add -A && git commit` by hand, in the same container
 * and on the same 10,000-file workspace, so both commit over the same tree.
 */
async function benchToolCall(
  sessions: Sessions,
  start: (path: string, runtime: string) => ReturnType<Sessions['start']>,
  projectPath: string,
  dir: string,
  runtime: string,
  runs: number,
  signal: AbortSignal,
): Promise<[TimedSeries, TimedSeries]> {
  const session = await start(projectPath, runtime);
  try {
    const workspace = sessions.workspacePath(session.id);
    const baselineGit = join(dir, `baseline-${runtime}.git`);
    mkdirSync(baselineGit, { recursive: true });
    log(`session tool call (${runtime}): committing the workspace once for the baseline's own git`);
    await mustRun('git', ['init', '-q', '--bare', baselineGit]);
    const git = ['--git-dir', baselineGit, '--work-tree', workspace];
    await mustRun('git', [...git, 'add', '-A']);
    await mustRun('git', [...git, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'base']);
    const berth = timedSeries(`berth session exec (${runtime})`, async () => {
      const started = performance.now();
      const r = await sessions.exec(session.id, ['/bin/sh', '-c', 'echo step >> pkg00/mod00/file000.txt']);
      const ms = performance.now() - started;
      if (r.exitCode !== 0 || !r.commit) throw new Error(`session exec failed: ${r.stderr.trim()}`);
      return ms;
    });
    const baseline = timedSeries('docker exec + git add -A + git commit', async () => {
      const args = [session.containerId!, 'pkg00/mod00/file001.txt', baselineGit, workspace];
      return (await mustRun('sh', ['-c', EXEC_BASELINE_SCRIPT, 'sh', ...args])).ms;
    });
    const plan = { name: `session tool call (${runtime})`, warmupRuns: SESSION_WARMUP_RUNS, runs, signal };
    await runAlternating(plan, [berth, baseline]);
    return [berth, baseline];
  } finally {
    await sessions.discard(session.id);
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
