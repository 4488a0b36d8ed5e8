import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Sessions } from '../src/sessions/sessions.js';
import { runAlternating, type TimedSeries } from './alternating-runs.js';
import { mustRun } from './command.js';
import { log } from './log.js';
import { SESSION_WARMUP_RUNS } from './options.js';
import { latencySummary, median, percentile, ratio, type LatencySummary } from './stats.js';

/** berth against a shell script, p50 and p95, alternating runs. */
export interface ScriptComparison {
  runs: number;
  warmupRuns: number;
  order: string;
  baselineScript: string;
  berth: LatencySummary;
  baseline: LatencySummary;
  ratio: { p50: number; p95: number };
}

/** berth's samples against the script's, from alternating runs. */
export function compareToScript(
  berth: number[],
  baseline: number[],
  runs: number,
  baselineScript: string,
): ScriptComparison {
  return {
    runs,
    warmupRuns: SESSION_WARMUP_RUNS,
    order: 'berth and the script each run, alternating which goes first',
    baselineScript,
    berth: latencySummary(berth),
    baseline: latencySummary(baseline),
    ratio: {
      p50: ratio(median(berth), median(baseline)),
      p95: ratio(percentile(berth, 95), percentile(baseline, 95)),
    },
  };
}

export interface SessionExecFigures extends ScriptComparison {
  runtime: string;
}

/** What a user would run per tool call by hand: the command, then a commit of what changed. */
const BASELINE_SCRIPT =
  'docker exec "$1" sh -c "echo step >> $2" && git --git-dir="$3" --work-tree="$4" add -A && ' +
  'git --git-dir="$3" --work-tree="$4" -c user.name=b -c user.email=b@b commit -qm step';

/**
 * One session tool call that changes a file: `Sessions.exec` (exec, end of leftovers, one
 * commit) against `docker exec` plus `git add -A && git commit` by hand, in the same container
 * and on the same 10,000-file workspace, so both commit over the same tree.
 */
export async function benchSessionExec(
  sessions: Sessions,
  projectPath: string,
  dir: string,
  runtime: 'runc' | 'runsc',
  runs: number,
  signal: AbortSignal,
): Promise<SessionExecFigures> {
  const session = await sessions.start({ path: projectPath, runtime, image: 'berth-test/busybox' });
  try {
    const workspace = sessions.workspacePath(session.id);
    const baselineGit = join(dir, `baseline-${runtime}.git`);
    mkdirSync(baselineGit, { recursive: true });
    log(`session exec (${runtime}): committing the workspace once for the baseline's own git`);
    await mustRun('git', ['init', '-q', '--bare', baselineGit]);
    const git = ['--git-dir', baselineGit, '--work-tree', workspace];
    await mustRun('git', [...git, 'add', '-A']);
    await mustRun('git', [...git, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'base']);

    const berth: TimedSeries = {
      label: `berth session exec (${runtime})`,
      samples: [],
      async measure() {
        const started = performance.now();
        const r = await sessions.exec(session.id, ['/bin/sh', '-c', 'echo step >> pkg00/mod00/file000.txt']);
        const ms = performance.now() - started;
        if (r.exitCode !== 0 || !r.commit) throw new Error(`session exec failed: ${r.stderr.trim()}`);
        return ms;
      },
    };
    const baseline: TimedSeries = {
      label: 'docker exec + git add -A + git commit',
      samples: [],
      async measure() {
        const result = await mustRun('sh', [
          '-c',
          BASELINE_SCRIPT,
          'sh',
          session.containerId!,
          'pkg00/mod00/file001.txt',
          baselineGit,
          workspace,
        ]);
        return result.ms;
      },
    };
    await runAlternating(
      { name: `session exec (${runtime})`, warmupRuns: SESSION_WARMUP_RUNS, runs, signal },
      [berth, baseline],
    );
    return { runtime, ...compareToScript(berth.samples, baseline.samples, runs, BASELINE_SCRIPT) };
  } finally {
    await sessions.discard(session.id);
  }
}
