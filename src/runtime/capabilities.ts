import { BerthError } from '../errors.js';
import type { IsolationLevel } from './container-spec.js';

/** What a runtime can do here. Ask this instead of testing for methods or runtime names. */
export interface RuntimeCapabilities {
  /** Host folders can be bind-mounted: the host and the container see the same files. */
  sharedHostFs: boolean;
  /** A stopped container can be started again with its state (Docker); else stop is the end. */
  stopStart: boolean;
  /** Images can be built from a Dockerfile here. */
  build: boolean;
  /** Containers can join networks berth creates (one per project). */
  networks: boolean;
  /** berth's in-container agent serves commands (spec `agent`), skipping per-exec set-up. */
  agent: boolean;
  /** The engine can kill a running exec; when false, berth kills the process tree itself. */
  nativeKill: boolean;
  /** The isolation levels this runtime knows, by the names people choose them by. */
  isolationLevels: IsolationOffer[];
}

export interface IsolationOffer {
  level: IsolationLevel;
  /** The name a person may choose it by (`--runtime <name>`). */
  name: string;
  available: boolean;
  /** When not available: why, and what to do about it. */
  advice?: string;
}

export interface IsolationChoice {
  level: IsolationLevel;
  name: string;
}

/**
 * Resolves a person's choice: `auto` (the strongest level available), a level (`standard`,
 * `strong`) or an offer's name. A choice this runtime cannot honour is refused with a sentence
 * saying what it can do instead.
 */
export function chooseIsolation(offers: IsolationOffer[], choice: string): IsolationChoice {
  const available = offers.filter((o) => o.available);
  const names = available.map((o) => o.name);
  const instead = names.length > 0 ? `; use ${names.join(' or ')}` : '';
  if (choice === 'auto') {
    const best = available.find((o) => o.level === 'strong') ?? available.find((o) => o.level === 'standard');
    if (!best) throw new BerthError('UNSUPPORTED', 'this runtime offers no isolation level here');
    return { level: best.level, name: best.name };
  }
  const matching = offers.filter((o) => o.name === choice || o.level === choice);
  const chosen = matching.find((o) => o.available);
  if (chosen) return { level: chosen.level, name: chosen.name };
  const refused = matching[0];
  if (refused) {
    throw new BerthError(
      'UNSUPPORTED',
      `runtime ${choice} is not supported on this host${refused.advice ? ` (${refused.advice})` : ''}${instead}`,
    );
  }
  throw new BerthError(
    'INVALID_ARGUMENT',
    `runtime ${choice} is not one this engine offers; use auto${names.length > 0 ? `, ${names.join(', ')}` : ''}`,
  );
}

/**
 * A null object for a capability a runtime does not have: every call rejects with a sentence that
 * names the capability and why it is missing, so callers never test for a missing method.
 */
export function unsupported<T extends object>(runtime: string, capability: string, why: string): T {
  return new Proxy({} as T, {
    get: (_target, method) =>
      typeof method === 'symbol' || method === 'then'
        ? undefined
        : () =>
            Promise.reject(
              new BerthError(
                'UNSUPPORTED',
                `the ${runtime} runtime cannot do ${capability} (${String(method)}): ${why}`,
                { runtime, capability },
              ),
            ),
  });
}
