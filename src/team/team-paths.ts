import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectApps, describeNothingFound } from './detect/index.js';
import type { DetectResult } from './detect/types.js';
import {
  mergeDetected,
  parseTeamConfig,
  renderTeamConfig,
  TEAM_CONFIG_NAME,
  type TeamConfig,
} from './team-config.js';

/**
 * Where a team lives under BERTH_HOME: `teams/<team>/` holds `workspace/` (the work tree, unless
 * `--path` put it elsewhere), `git/` (the repository's git data, never mounted into a container)
 * and `berth.team.yaml`. Only the work tree is ever seen by a container.
 */
export interface TeamFolders {
  dir: string;
  workspace: string;
  gitDir: string;
  configFile: string;
}

export function teamFolders(home: string, team: string, workspace?: string): TeamFolders {
  const dir = join(home, 'teams', team);
  return {
    dir,
    workspace: workspace ?? join(dir, 'workspace'),
    gitDir: join(dir, 'git'),
    configFile: join(dir, TEAM_CONFIG_NAME),
  };
}

export function makeTeamDir(folders: TeamFolders): void {
  mkdirSync(folders.dir, { recursive: true, mode: 0o700 });
}

/** What the start found and decided: the config to run, and what detection added. */
export interface TeamPlan {
  config: TeamConfig;
  added: string[];
  /** Whether berth.team.yaml was written (a first start, or newly detected apps). */
  written: boolean;
  detection: DetectResult;
}

/**
 * The team's config for this start: the user's berth.team.yaml as written, plus apps detected
 * since (unless `autodetect: false`). The file is (re)written only when something was added, so
 * a user's edits and comments stay as they are otherwise. The config file lives in the team's
 * own folder, which no container sees, so it is read as a plain file; the work tree is read by
 * detection through the confined reader.
 */
export function planTeam(folders: TeamFolders, first: { workspace?: 'bind' | 'sync' } = {}): TeamPlan {
  const detection = detectApps(folders.workspace);
  if (!existsSync(folders.configFile)) {
    // a first start: detected apps, and the workspace kind the start was told (else left to the engine)
    const detected = parseTeamConfig(renderTeamConfig(detection.apps), folders.configFile);
    const text = renderTeamConfig(
      first.workspace !== undefined ? { ...detected, workspace: first.workspace } : detected,
      new Map(detection.apps.map((a) => [a.name, a.hotReload.notes])),
    );
    const config = parseTeamConfig(text, folders.configFile);
    if (config.apps.length > 0) writeConfig(folders.configFile, text);
    return { config, added: config.apps.map((a) => a.name), written: config.apps.length > 0, detection };
  }
  const current = parseTeamConfig(readFileSync(folders.configFile, 'utf8'), folders.configFile);
  const { config, added } = mergeDetected(current, detection.apps);
  if (added.length > 0) {
    const notes = new Map(detection.apps.map((a) => [a.name, a.hotReload.notes]));
    writeConfig(folders.configFile, renderTeamConfig(config, notes));
  }
  return { config, added, written: added.length > 0, detection };
}

/** The sentence for a start that found nothing to run. */
export function nothingToRun(plan: TeamPlan): string {
  if (plan.config.apps.length === 0) return describeNothingFound(plan.detection);
  return `every app in ${TEAM_CONFIG_NAME} has enabled: false; enable one to start it`;
}

function writeConfig(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
}
