import { BerthError } from '../../errors.js';
import { SERVER_DEFAULTS } from '../../http/guarded-server.js';

/** What the MCP HTTP server allows a client; every value is enforced by the code, not just stated. */
export interface HttpLimits {
  /** Request headers must be complete this long after the connection opened (or, on a kept-alive connection, after the next request's first byte). */
  headersTimeoutMs: number;
  /** The whole request, headers and body, must have arrived within this long; the response may take longer. */
  requestTimeoutMs: number;
  /** How often those two deadlines are checked: a slow client is cut off at most this late. */
  timeoutCheckMs: number;
  /** An idle kept-alive connection is closed after this long (Node adds one second of grace). */
  keepAliveTimeoutMs: number;
  /** Largest request body; larger ones get 413 and the connection is closed. */
  maxBodyBytes: number;
  /** A session with no request in flight is closed after this long. */
  sessionIdleMs: number;
  /** Open sessions at most; a new one then replaces the longest-idle one, or gets 503 if none is idle. */
  maxSessions: number;
  /** Connections the kernel may queue before they are accepted (capped by net.core.somaxconn). */
  listenBacklog: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  // the timeouts, deadline checks and backlog every berth HTTP server has
  ...SERVER_DEFAULTS,
  maxBodyBytes: 16 * 1024 * 1024,
  sessionIdleMs: 30 * 60_000,
  maxSessions: 100,
});

/** The defaults with `overrides` applied, checked: every value a positive whole number, headers within the request. */
export function httpLimits(overrides: Partial<HttpLimits> = {}): HttpLimits {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0)
      throw new BerthError(
        'INVALID_ARGUMENT',
        `HTTP limit ${name} must be a positive whole number, got ${value}`,
      );
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new BerthError(
      'INVALID_ARGUMENT',
      'the headers timeout must not be longer than the request timeout',
    );
  return limits;
}
