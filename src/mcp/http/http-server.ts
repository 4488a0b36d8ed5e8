import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpDeps } from '../deps.js';
import { createServer } from '../server.js';
import { json, readJsonRequest, startGuardedServer } from '../../http/guarded-server.js';
import { httpLimits, type HttpLimits } from './http-limits.js';
import { McpSessions, type McpSession } from './mcp-sessions.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  token: string;
  /** Largest request body accepted (default 16 MiB); same as limits.maxBodyBytes. */
  maxBodyBytes?: number;
  /** Timeouts, caps and session limits (see http-limits.ts for the defaults). */
  limits?: Partial<HttpLimits>;
  /** Extra host:port values clients may send in Host (a published port, a proxy). */
  extraHosts?: string[];
}

export interface RunningHttpServer {
  url: string;
  port: number;
  server: Server;
  limits: HttpLimits;
  /** Open MCP sessions now. */
  sessionCount(): number;
  close(): Promise<void>;
}

export const MCP_PATH = '/mcp';
const SESSION_HEADER = 'mcp-session-id';
/** berth sends nothing outside a request's own response stream, so GET has nothing to serve. */
const ALLOWED_METHODS = 'POST, DELETE';

/**
 * MCP over Streamable HTTP with sessions: `initialize` opens one (Mcp-Session-Id), and each
 * session has its own MCP server, so a cancel reaches the request it names in that session and
 * no other. Bound to loopback by default; Host and Origin are checked against this server's own
 * addresses; the bearer token is required; bodies are capped; slow clients are cut off on time.
 * Refusals are 400, 401, 403, 404, 405, 408, 413 or 503, never a 500.
 */
export async function startHttpServer(deps: McpDeps, options: HttpServerOptions): Promise<RunningHttpServer> {
  const limits = httpLimits({
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...options.limits,
  });
  const sessions = new McpSessions(() => createServer(deps), limits, deps.logger);

  /** Runs once Host, Origin and token have passed (guarded-server.ts). */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== MCP_PATH) {
      req.resume();
      return json(res, 404, { error: `not found; the MCP endpoint is ${MCP_PATH}`, code: 'NOT_FOUND' });
    }
    if (req.method !== 'POST' && req.method !== 'DELETE') {
      req.resume();
      res.setHeader('Allow', ALLOWED_METHODS);
      return rpcError(
        res,
        405,
        -32000,
        `${req.method} is not served here; use POST (or DELETE to end a session)`,
      );
    }
    const sessionId = req.headers[SESSION_HEADER];
    if (Array.isArray(sessionId)) return rpcError(res, 400, -32600, 'give one Mcp-Session-Id header');
    if (req.method === 'DELETE') {
      req.resume();
      if (sessionId === undefined) return rpcError(res, 400, -32000, 'Mcp-Session-Id header is required');
      const session = sessions.get(sessionId);
      if (!session) return rpcError(res, 404, -32001, 'Session not found');
      return serve(session, req, res);
    }
    const read = await readJsonRequest(req, res, limits.maxBodyBytes, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error: the body is not JSON' },
    });
    if (!read) return;
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (!session) return rpcError(res, 404, -32001, 'Session not found; start a new one with initialize');
      return serve(session, req, res, read.body);
    }
    if (!isInitializeRequest(read.body)) {
      return rpcError(res, 400, -32000, 'Mcp-Session-Id header is required; start a session with initialize');
    }
    const session = await sessions.open();
    if (!session) {
      res.setHeader('Retry-After', '5');
      return rpcError(res, 503, -32000, `${limits.maxSessions} sessions are open and busy; try again later`);
    }
    return serve(session, req, res, read.body);
  }

  async function serve(session: McpSession, req: IncomingMessage, res: ServerResponse, body?: unknown) {
    sessions.begin(session);
    res.once('close', () => sessions.end(session));
    await session.transport.handleRequest(req, res, body);
  }

  const guarded = await startGuardedServer({
    listen: { host: options.host, port: options.port },
    token: options.token,
    realm: 'berth',
    handler: handle,
    logger: deps.logger,
    headersTimeoutMs: limits.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    timeoutCheckMs: limits.timeoutCheckMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    listenBacklog: limits.listenBacklog,
    ...(options.extraHosts !== undefined ? { extraHosts: options.extraHosts } : {}),
  });
  return {
    url: `${guarded.url}${MCP_PATH}`,
    port: guarded.port!,
    server: guarded.server,
    limits,
    sessionCount: () => sessions.size,
    close: async () => {
      await sessions.closeAll();
      await guarded.close();
    },
  };
}

function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { jsonrpc: '2.0', id: null, error: { code, message } });
}
