import { chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BerthError } from '../../errors.js';
import { readJsonBody } from '../../http/read-body.js';
import { checkRequest, hostsFor } from '../../http/request-guard.js';
import type { Logger } from '../../logger.js';
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import type { ProjectService } from '../../hub/projects.js';
import type { OpsRunTable } from '../../store/ops-runs.js';
import { OpsError } from '../ops-error.js';
import type { OpsService } from '../ops-service.js';
import { removePath } from '../../workspace/path-ops.js';
import { encodeEvent } from './ndjson.js';
import { parseRunBody } from './run-body.js';

export type Listen = { socket: string } | { host: string; port: number };

export interface OpsServerDeps {
  service: OpsService;
  runs: OpsRunTable;
  runtime: ContainerRuntime;
  hub: ProjectService;
  logger: Logger;
}

export interface RunningOpsServer {
  /** http://host:port or unix:///path */
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

/**
 * The side-car's HTTP API: GET /health, POST /run (NDJSON), GET /runs, GET /runs/:id,
 * POST /runs/:id/cancel, GET /projects. Token required; Host checked on TCP; bodies capped;
 * slow clients timed out. It exposes these verbs only, never the engine API.
 */
export async function startOpsServer(
  deps: OpsServerDeps,
  listen: Listen,
  token: string,
): Promise<RunningOpsServer> {
  let guard = {
    token,
    allowedHosts: [] as string[],
    allowedOrigins: [] as string[],
    checkHost: !('socket' in listen),
  };
  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => fail(res, err, deps.logger));
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = checkRequest(req, guard);
    if (!verdict.ok) {
      req.resume();
      if (verdict.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="berth-ops"');
      return json(res, verdict.status, { error: verdict.message });
    }
    const url = new URL(req.url ?? '/', 'http://ops');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/health') {
      const engine = await deps.runtime.ping();
      return json(res, 200, { ok: true, engine: { version: engine.version } });
    }
    if (method === 'GET' && url.pathname === '/projects') {
      return json(res, 200, { projects: await deps.hub.status() });
    }
    if (method === 'POST' && url.pathname === '/run') return run(req, res);
    if (method === 'GET' && url.pathname === '/runs') {
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 50) || 50));
      const target = url.searchParams.get('target') ?? undefined;
      return json(res, 200, { runs: deps.runs.list({ limit, ...(target ? { target } : {}) }) });
    }
    if (parts[0] === 'runs' && parts.length === 2 && method === 'GET') {
      const run = deps.runs.get(parts[1]!);
      return run ? json(res, 200, run) : json(res, 404, { error: `no run ${parts[1]}` });
    }
    if (parts[0] === 'runs' && parts.length === 3 && parts[2] === 'cancel' && method === 'POST') {
      req.resume();
      const id = parts[1]!;
      if (deps.service.cancel(id)) return json(res, 200, { id, cancelled: true });
      return deps.runs.get(id)
        ? json(res, 409, { error: `run ${id} is not running` })
        : json(res, 404, { error: `no run ${id}` });
    }
    req.resume();
    return json(res, 404, { error: 'no such route; see GET /health, POST /run, GET /runs' });
  }

  async function run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readJsonBody(req, MAX_BODY);
    if (!read.ok && read.reason === 'too-large') {
      res.setHeader('Connection', 'close');
      return json(res, 413, { error: `request body over ${MAX_BODY} bytes` });
    }
    if (!read.ok) return json(res, 400, { error: 'body is not valid JSON' });
    const body = read.body;
    const prepared = await deps.service.prepare(parseRunBody(body));
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
    const disconnected = new AbortController();
    // the client went away before the end: kill the command inside the container
    res.on('close', () => {
      if (!res.writableFinished) disconnected.abort(new Error('client disconnected'));
    });
    // a slow reader pauses the command (backpressure) instead of growing this process's memory
    const drain = () =>
      new Promise<void>((resolve) => {
        if (res.destroyed || !res.writableNeedDrain) return resolve();
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    await prepared.execute(
      (event) => (res.destroyed ? undefined : res.write(encodeEvent(event))),
      disconnected.signal,
      drain,
    );
    res.end();
  }

  if ('socket' in listen) {
    removePath(listen.socket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.socket, () => resolve());
    });
    chmodSync(listen.socket, 0o600);
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const { hosts, origins } = hostsFor(listen.host, port);
    guard = { ...guard, allowedHosts: hosts, allowedOrigins: origins };
  }
  const url =
    'socket' in listen
      ? `unix://${listen.socket}`
      : `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        if ('socket' in listen) removePath(listen.socket);
      }),
  };
}

function fail(res: ServerResponse, err: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof OpsError) return json(res, err.status, { error: err.message, code: err.code });
  if (err instanceof BerthError) {
    const status = err.code === 'ENGINE_UNREACHABLE' ? 503 : err.code === 'NOT_RUNNING' ? 409 : 400;
    return json(res, status, { error: err.message, code: err.code });
  }
  logger.error({ err }, 'ops request failed');
  json(res, 500, { error: 'internal error' });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
