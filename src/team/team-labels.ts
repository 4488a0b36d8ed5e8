import { realpathSync } from 'node:fs';
import { hubIdFor } from '../config/load-config.js';
import { LABEL, type Role } from '../runtime/labels.js';

/**
 * The hub id of this BERTH_HOME's teams: two homes on one engine may both have a team called
 * `web`, so every team resource also carries the home's id, and lookups go by both.
 */
export function teamsHubId(home: string): string {
  let anchor = home;
  try {
    anchor = realpathSync(home);
  } catch {
    // a home not made yet: its spelling is all there is
  }
  return hubIdFor(`teams:${anchor}`);
}

/** Labels of one team's resource of the given role (and app, for a preview and its volumes). */
export function teamLabels(
  hubId: string,
  team: string,
  role: Role,
  extra: { app?: string; path?: string } = {},
): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.hub]: hubId, [LABEL.team]: team, [LABEL.role]: role };
  if (extra.app !== undefined) labels[LABEL.app] = extra.app;
  // the workspace folder: the test sweep finds leftovers of test homes by it
  if (extra.path !== undefined) labels[LABEL.path] = extra.path;
  return labels;
}

/** Every resource of a team, whatever its role (for cleanup and status). */
export function teamSelector(hubId: string, team: string): Record<string, string> {
  return { [LABEL.hub]: hubId, [LABEL.team]: team };
}

/** The name of a team's network, unique per home. */
export function teamNetworkName(hubId: string, team: string): string {
  return `berth-team-${team}-${hubId}`;
}
