import { BerthError } from '../errors.js';

/** A team name: it goes into container, network and volume names, and into a folder name. */
export const TEAM_NAME = /^[a-z][a-z0-9-]{0,29}$/;

export function checkTeamName(name: string): void {
  if (!TEAM_NAME.test(name)) {
    throw new BerthError(
      'INVALID_ARGUMENT',
      `'${name}' is not a team name: use lowercase letters, digits and "-", starting with a letter, at most 30 characters`,
      { team: name },
    );
  }
}
