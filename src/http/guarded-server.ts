import { chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BerthError } from '../errors.js';
import type { Logger } from '../logger.js';
import { removePath } from '../workspace/path-ops.js';
import { statusFor } from './error-status.js';
import { readJsonBody } from './read-body.js';
import { checkRequest, hostsFor, type GuardOptions } from './request-guard.js';

/** A unix socket (made 0600: only this user can connect) or a TCP address. */
export type Listen = { socket: string } | { host: string; port: number };

/** What runs once a request has passed the Host, Origin and token checks. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface GuardedServerOptions {
  listen: Listen;
  token: string;
  /** The realm named in `WWW-Authenticate` on a 401. */
  realm: string;
  handler: RequestHandler;
  logger: Logger;
  /** Extra host:port values clients may send in Host on TCP (a published port, a proxy). */
  extraHosts?: string[];
  /** How long a client gets to send its headers (default 10 s) and its whole request (30 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** How often those deadlines are checked, so a slow client is cut off at most this late (250 ms). */
  timeoutCheckMs?: number;
  /** An idle kept-alive connection is closed after this long (default 5 s; Node adds 1 s of grace). */
  keepAliveTimeoutMs?: number;
  /** Connections the kernel may queue before they are accepted (default 1024, capped by somaxconn). */
  listenBacklog?: number;
  /** A throw from the handler; the default answers a BerthError by its code, else 500. */
  onError?: (err: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

export interface GuardedServer {
  /** http://host:port or unix:///path */
  url: string;
  /** The TCP port (the real one when 0 was asked for); undefined on a socket. */
  port: number | undefined;
  server: Server;
  close(): Promise<void>;
}

export const SERVER_DEFAULTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  timeoutCheckMs: 250,
  keepAliveTimeoutMs: 5_000,
  listenBacklog: 1024,
} as const;

/**
 * One HTTP server for berth's APIs: it listens on a socket or TCP, refuses a request whose
 * Host, Origin or bearer token is wrong before the handler sees it, and times out clients that
 * send slowly. The handler owns routing, bodies and the answer (JSON, NDJSON or SSE).
 */
export async function startGuardedServer(options: GuardedServerOptions): Promise<GuardedServer> {
  const { listen, logger } = options;
  const headersTimeout = options.headersTimeoutMs ?? SERVER_DEFAULTS.headersTimeoutMs;
  const requestTimeout = Math.max(
    options.requestTimeoutMs ?? SERVER_DEFAULTS.requestTimeoutMs,
    headersTimeout,
  );
  const backlog = options.listenBacklog ?? SERVER_DEFAULTS.listenBacklog;
  let guard: GuardOptions = {
    token: options.token,
    allowedHosts: [],
    allowedOrigins: [],
    checkHost: !('socket' in listen),
  };
  const onError = options.onError ?? ((err: unknown, _req, res) => replyError(res, err, logger));
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      // Node enforces both timeouts only when it sweeps its connections, every 30 s by default,
      // which would let a 10 s header limit stretch to 40 s
      connectionsCheckingInterval: options.timeoutCheckMs ?? SERVER_DEFAULTS.timeoutCheckMs,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? SERVER_DEFAULTS.keepAliveTimeoutMs,
    },
    (req, res) => {
      const verdict = checkRequest(req, guard);
      if (!verdict.ok) {
        req.resume();
        if (verdict.status === 401) res.setHeader('WWW-Authenticate', `Bearer realm="${options.realm}"`);
        const code = verdict.status === 401 ? 'UNAUTHORIZED' : 'POLICY_DENIED';
        return json(res, verdict.status, { error: verdict.message, code });
      }
      options.handler(req, res).catch((err: unknown) => onError(err, req, res));
    },
  );

  if ('socket' in listen) {
    removePath(listen.socket);
    await listening(server, () => server.listen({ path: listen.socket, backlog }));
    chmodSync(listen.socket, 0o600);
  } else {
    await listening(server, () => server.listen({ port: listen.port, host: listen.host, backlog }));
  }
  const port = 'socket' in listen ? undefined : (server.address() as AddressInfo).port;
  if (!('socket' in listen)) {
    const { hosts, origins } = hostsFor(listen.host, port!);
    const extra = (options.extraHosts ?? []).map((h) => h.toLowerCase());
    guard = {
      ...guard,
      allowedHosts: [...hosts, ...extra],
      allowedOrigins: [...origins, ...extra.map((h) => `http://${h}`)],
    };
  }
  const url =
    'socket' in listen
      ? `unix://${listen.socket}`
      : `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`;
  return {
    url,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        if ('socket' in listen) removePath(listen.socket);
      }),
  };
}

function listening(server: Server, listen: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    listen();
  });
}

/**
 * The JSON body of a request within `max` bytes, or undefined once it has answered: 413 for a
 * body over the cap (and the connection closed, as the rest is not read), 400 for one that is
 * not JSON, with `notJson` as that answer's body when the protocol has its own (JSON-RPC).
 */
export async function readJsonRequest(
  req: IncomingMessage,
  res: ServerResponse,
  max: number,
  notJson: unknown = { error: 'body is not valid JSON', code: 'INVALID_ARGUMENT' },
): Promise<{ body: unknown } | undefined> {
  const read = await readJsonBody(req, max);
  if (read.ok) return { body: read.body };
  if (read.reason === 'too-large') {
    res.setHeader('Connection', 'close');
    json(res, 413, { error: `request body over ${max} bytes`, code: 'TOO_LARGE' });
  } else {
    json(res, 400, notJson);
  }
  return undefined;
}

/** A whole JSON answer. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A throw, answered: a BerthError with the status its code maps to and `{error, code}`;
 * anything else is logged and answered 500 without details. Once a streamed answer has begun
 * there is no status left to send, so the stream just ends.
 */
export function replyError(res: ServerResponse, err: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof BerthError)
    return json(res, statusFor(err.code), { error: err.message, code: err.code });
  logger.error({ err }, 'http request failed');
  json(res, 500, { error: 'internal error' });
}
