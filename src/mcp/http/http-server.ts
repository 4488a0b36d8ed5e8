import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpDeps } from '../deps.js';
import { createServer } from '../server.js';
import { readJsonBody } from '../../http/read-body.js';
import { checkRequest, hostsFor } from '../../http/request-guard.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  token: string;
  /** Largest request body accepted (default 16 MiB). */
  maxBodyBytes?: number;
  /** Extra host:port values clients may send in Host (a published port, a proxy). */
  extraHosts?: string[];
}

export interface RunningHttpServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export const MCP_PATH = '/mcp';
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/**
 * MCP over Streamable HTTP, stateless: every POST gets a fresh server and transport. Bound to
 * loopback by default; Host and Origin are checked against this server's own addresses; the
 * bearer token is required; bodies are capped. Refusals are 401, 403, 404, 413 or a JSON-RPC
 * error, never a 500.
 */
export async function startHttpServer(deps: McpDeps, options: HttpServerOptions): Promise<RunningHttpServer> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  let guard = { token: options.token, allowedHosts: [] as string[], allowedOrigins: [] as string[] };
  const server = createHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.logger.error({ err }, 'http request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = checkRequest(req, guard);
    if (!verdict.ok) {
      if (verdict.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="berth"');
      req.resume();
      return sendJson(res, verdict.status, { error: verdict.message });
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== MCP_PATH) {
      req.resume();
      return sendJson(res, 404, { error: `not found; the MCP endpoint is ${MCP_PATH}` });
    }
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readJsonBody(req, maxBody);
      if (!read.ok && read.reason === 'too-large') {
        res.setHeader('Connection', 'close');
        return sendJson(res, 413, { error: `request body over ${maxBody} bytes` });
      }
      if (!read.ok) {
        return sendJson(res, 400, {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32700, message: 'Parse error: the body is not JSON' },
        });
      }
      body = read.body;
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const mcp = createServer(deps);
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const { hosts, origins } = hostsFor(options.host, port);
  const extra = (options.extraHosts ?? []).map((h) => h.toLowerCase());
  guard = {
    token: options.token,
    allowedHosts: [...hosts, ...extra],
    allowedOrigins: [...origins, ...extra.map((h) => `http://${h}`)],
  };
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}${MCP_PATH}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
