import { request } from 'node:http';
import { startOpsServer, type Listen, type RunningOpsServer } from '../../src/ops/http/ops-server.js';
import { OpsPolicy } from '../../src/ops/ops-policy.js';
import { OpsService } from '../../src/ops/ops-service.js';
import { NdjsonDecoder } from '../../src/ops/protocol.js';
import { silentLogger } from '../../src/logger.js';
import type { TestHub } from './test-hub.js';

export const OPS_TOKEN = 'ops-test-token-0123456789abcdef0123';

/** The side-car in-process over a test hub, on loopback TCP (or a unix socket). */
export async function startTestOps(
  t: TestHub,
  listen: Listen = { host: '127.0.0.1', port: 0 },
): Promise<RunningOpsServer> {
  const runs = t.store.opsRuns(t.config.hubId);
  const logger = silentLogger();
  const service = new OpsService({
    hub: t.hub,
    runtime: t.runtime,
    runs,
    policy: new OpsPolicy(t.config.ops),
    logger,
  });
  return startOpsServer({ service, runs, runtime: t.runtime, hub: t.hub, logger }, listen, OPS_TOKEN);
}

export interface Reply {
  status: number;
  body: string;
  events: Record<string, unknown>[];
}

/** A real HTTP request to the side-car; NDJSON bodies are split into events, as sent on the wire. */
export function call(
  server: RunningOpsServer,
  method: string,
  path: string,
  options: {
    body?: unknown;
    raw?: string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
    onEvent?: (e: Record<string, unknown>) => void;
  } = {},
): Promise<Reply> {
  const url = new URL(server.url);
  const text = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: Number(url.port),
        method,
        path,
        headers: {
          Authorization: `Bearer ${OPS_TOKEN}`,
          'Content-Type': 'application/json',
          ...options.headers,
        },
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        const events: Record<string, unknown>[] = [];
        const lines = new NdjsonDecoder();
        const ndjson = String(res.headers['content-type']).includes('ndjson');
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          if (!ndjson) return;
          for (const line of lines.push(c)) {
            const event = JSON.parse(line) as Record<string, unknown>;
            events.push(event);
            options.onEvent?.(event);
          }
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), events }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** stdout of a run, decoded from its events. */
export function output(events: Record<string, unknown>[], type: 'stdout' | 'stderr' = 'stdout'): string {
  return events
    .filter((e) => e.type === type)
    .map((e) => Buffer.from(String(e.data), e.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8'))
    .join('');
}

export function exitOf(events: Record<string, unknown>[]): Record<string, unknown> | undefined {
  return events.find((e) => e.type === 'exit');
}
