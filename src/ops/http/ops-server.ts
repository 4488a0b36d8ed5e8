import type { Server } from 'node:http';
import { json, readJsonRequest, startGuardedServer, type Listen } from '../../http/guarded-server.js';
import { routeTable, type Route, type RouteContext } from '../../http/route-table.js';
import type { Logger } from '../../logger.js';
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import type { ProjectService } from '../../hub/projects.js';
import type { OpsRunTable } from '../../store/ops-runs.js';
import type { OpsService } from '../ops-service.js';
import { encodeEvent, parseRunBody } from '../protocol.js';
import { drained } from '../../runtime/flow-gate.js';

export type { Listen };

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
 * slow clients timed out (see http/guarded-server.ts). It exposes these verbs only, never the
 * engine API. A refusal's status comes from its error code (http/error-status.ts).
 */
export async function startOpsServer(
  deps: OpsServerDeps,
  listen: Listen,
  token: string,
): Promise<RunningOpsServer> {
  const routes: Route[] = [
    {
      method: 'GET',
      path: '/health',
      handle: async ({ res }) => {
        const engine = await deps.runtime.ping();
        json(res, 200, { ok: true, engine: { version: engine.version } });
      },
    },
    {
      method: 'GET',
      path: '/projects',
      handle: async ({ res }) => json(res, 200, { projects: await deps.hub.status() }),
    },
    { method: 'POST', path: '/run', readsBody: true, handle: (ctx) => run(deps.service, ctx) },
    {
      method: 'GET',
      path: '/runs',
      handle: ({ res, url }) => {
        const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 50) || 50));
        const target = url.searchParams.get('target') ?? undefined;
        json(res, 200, { runs: deps.runs.list({ limit, ...(target ? { target } : {}) }) });
      },
    },
    {
      method: 'GET',
      path: '/runs/:id',
      handle: ({ res, params }) => {
        const run = deps.runs.get(params.id!);
        if (run) json(res, 200, run);
        else json(res, 404, { error: `no run ${params.id}`, code: 'NOT_FOUND' });
      },
    },
    {
      method: 'POST',
      path: '/runs/:id/cancel',
      handle: ({ res, params }) => {
        const id = params.id!;
        if (deps.service.cancel(id)) json(res, 200, { id, cancelled: true });
        else if (deps.runs.get(id))
          json(res, 409, { error: `run ${id} is not running`, code: 'NOT_RUNNING' });
        else json(res, 404, { error: `no run ${id}`, code: 'NOT_FOUND' });
      },
    },
  ];
  const handler = routeTable(routes, ({ res }) =>
    json(res, 404, { error: 'no such route; see GET /health, POST /run, GET /runs', code: 'NOT_FOUND' }),
  );
  const server = await startGuardedServer({
    listen,
    token,
    realm: 'berth-ops',
    handler,
    logger: deps.logger,
  });
  return { url: server.url, server: server.server, close: () => server.close() };
}

/** POST /run: refusals before anything runs, then the run's events as NDJSON. */
async function run(service: OpsService, { req, res }: RouteContext): Promise<void> {
  const read = await readJsonRequest(req, res, MAX_BODY);
  if (!read) return;
  const prepared = await service.prepare(parseRunBody(read.body));
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
  const disconnected = new AbortController();
  // the client went away before the end: kill the command inside the container
  res.on('close', () => {
    if (!res.writableFinished) disconnected.abort(new Error('client disconnected'));
  });
  // a slow reader pauses the command (backpressure) instead of growing this process's memory
  const drain = () => drained(res);
  await prepared.execute(
    (event) => (res.destroyed ? undefined : res.write(encodeEvent(event))),
    disconnected.signal,
    drain,
  );
  res.end();
}
