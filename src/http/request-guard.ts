import type { IncomingMessage } from 'node:http';
import { bearerToken, tokenMatches } from './token.js';

export interface GuardOptions {
  token: string;
  /** host:port values a browser or client may send in Host. */
  allowedHosts: string[];
  /** Full origins (scheme://host:port) allowed in Origin, when one is sent. */
  allowedOrigins: string[];
  /** false on a unix socket, which no browser can reach (default true). */
  checkHost?: boolean;
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

/**
 * DNS rebinding first (a page on evil.example resolving to 127.0.0.1 sends Host/Origin of
 * evil.example), then the bearer token. Nothing else is looked at before both pass.
 */
export function checkRequest(req: IncomingMessage, options: GuardOptions): Verdict {
  if (options.checkHost !== false) {
    const host = req.headers.host?.toLowerCase();
    if (!host || !options.allowedHosts.includes(host)) {
      return { ok: false, status: 403, message: 'Host header is not an address of this server' };
    }
    const origin = req.headers.origin?.toLowerCase();
    if (origin !== undefined && !options.allowedOrigins.includes(origin)) {
      return { ok: false, status: 403, message: 'Origin is not allowed' };
    }
  }
  const given = bearerToken(req.headers.authorization);
  if (given === undefined) return { ok: false, status: 401, message: 'missing bearer token' };
  if (!tokenMatches(given, options.token)) return { ok: false, status: 401, message: 'wrong bearer token' };
  return { ok: true };
}

export function hostsFor(host: string, port: number): { hosts: string[]; origins: string[] } {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  names.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  const hosts = [...names].map((n) => `${n}:${port}`.toLowerCase());
  return { hosts, origins: hosts.map((h) => `http://${h}`) };
}
