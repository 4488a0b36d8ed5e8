import { homedir } from 'node:os';
import { join } from 'node:path';

/** BERTH_HOME, default ~/.berth: state, tokens, sockets and runner folders live here. */
export function berthHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.BERTH_HOME ?? join(homedir(), '.berth');
}
