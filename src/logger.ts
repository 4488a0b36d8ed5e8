import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs go to stderr (fd 2), never stdout: stdout carries results and, for
 * `berth mcp`, the protocol. Quiet by default; BERTH_LOG_LEVEL=debug shows every engine call.
 */
export function createLogger(level: string = process.env.BERTH_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ name: 'berth', level, base: undefined }, pino.destination({ fd: 2, sync: true }));
}

/** A namespaced child, e.g. `child(logger, 'runtime')` logs as `berth:runtime`. */
export function child(logger: Logger, namespace: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ ns: `berth:${namespace}`, ...bindings });
}

/** A logger that drops everything, for library callers and tests that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
