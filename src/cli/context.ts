import { openBerth, type Berth } from '../app/open-berth.js';
import type { Sessions } from '../sessions/sessions.js';

export interface GlobalOptions {
  file?: string;
  cwd?: string;
}

export type CliContext = Berth;

/** Reads the config once and wires the hub's dependencies for one CLI command. */
export function openContext(options: GlobalOptions, extra: { opsUrl?: string } = {}): CliContext {
  return openBerth({
    cwd: process.cwd(),
    ...(options.file !== undefined ? { file: options.file } : {}),
    ...(extra.opsUrl !== undefined ? { opsUrl: extra.opsUrl } : {}),
  });
}

/** The sandboxed sessions of this BERTH_HOME (loaded only by the commands that use them). */
export function openSessionsFor(ctx: CliContext): Promise<Sessions> {
  return ctx.sessions();
}
