import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { runCommand } from './command.js';
import { openBenchHub } from './hub-fixture.js';
import { describe, log } from './log.js';
import { latencySummary, percentile, ratio, type LatencySummary } from './stats.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));
const PROJECT = 'app';
/** Calls at once, over HTTP and as `docker exec` processes. */
export const HTTP_CONCURRENCY = 200;
const COMMAND = 'true';
const CALL_TIMEOUT_MS = 120_000;

export interface Burst {
  calls: number;
  errors: number;
  /** The first few error messages, to say what went wrong. */
  errorSamples: string[];
  wallMs: number;
  latency: LatencySummary & { p99: number };
}

export interface McpHttpConcurrencyFigures {
  server: string;
  command: string;
  concurrency: number;
  berth: Burst;
  docker: Burst;
  /** A ping from a second client sent while the berth burst was in flight. */
  pingDuringBurstMs: number;
  ratio: { p50: number; p99: number };
  aim: { errors: number; met: boolean };
}

/**
 * `HTTP_CONCURRENCY` concurrent `run_command` through one MCP SDK client over Streamable HTTP to
 * a spawned `berth mcp --http`, then the same number of concurrent `docker exec <id> true` CLI
 * processes on the same container; one warm-up burst of each first.
 */
export async function benchMcpHttpConcurrency(
  root: string,
  signal: AbortSignal,
): Promise<McpHttpConcurrencyFigures> {
  const fixture = openBenchHub(join(root, 'mcp-http'), [PROJECT]);
  let server: ChildProcess | undefined;
  const clients: Client[] = [];
  try {
    log('mcp-http: bringing up 1 project');
    const [up] = await fixture.hub.up();
    if (!up) throw new Error('hub.up() returned no project');
    const token = randomBytes(32).toString('base64url');
    const started = await startServer(fixture.configFile, fixture.home, token);
    server = started.child;
    const load = await connect(started.url, token);
    const pinger = await connect(started.url, token);
    clients.push(load, pinger);
    const runOne = async () => {
      const r = (await load.callTool(
        { name: 'run_command', arguments: { project: PROJECT, command: COMMAND } },
        undefined,
        { timeout: CALL_TIMEOUT_MS },
      )) as CallToolResult;
      const reply = r.structuredContent as { exit_code?: unknown } | undefined;
      if (r.isError || reply?.exit_code !== 0) throw new Error(`run_command: ${JSON.stringify(r.content)}`);
    };
    const dockerOne = async () => {
      const r = await runCommand('docker', ['exec', up.containerId, COMMAND]);
      if (r.exitCode !== 0) throw new Error(`docker exec exited ${r.exitCode}: ${r.stderr.trim()}`);
    };
    log(`mcp-http: warm-up bursts of ${HTTP_CONCURRENCY}`);
    await burst(runOne, signal);
    await burst(dockerOne, signal);
    log(`mcp-http: ${HTTP_CONCURRENCY} concurrent run_command over HTTP`);
    let pingMs = NaN;
    const pinging = (async () => {
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      await pinger.ping();
      pingMs = performance.now() - t0;
    })();
    const berth = await burst(runOne, signal);
    await pinging;
    log(`mcp-http: ${HTTP_CONCURRENCY} concurrent docker exec processes`);
    const docker = await burst(dockerOne, signal);
    return {
      server: 'spawned `node bin/berth.js -f <berth.yaml> mcp --http`; one MCP SDK client (Streamable HTTP)',
      command: COMMAND,
      concurrency: HTTP_CONCURRENCY,
      berth,
      docker,
      pingDuringBurstMs: Math.round(pingMs),
      ratio: {
        p50: ratio(berth.latency.p50, docker.latency.p50),
        p99: ratio(berth.latency.p99, docker.latency.p99),
      },
      aim: { errors: 0, met: berth.errors === 0 },
    };
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    if (server) {
      const child = server;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await fixture.close();
  }
}

async function burst(one: () => Promise<void>, signal: AbortSignal): Promise<Burst> {
  signal.throwIfAborted();
  const samples: number[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: HTTP_CONCURRENCY }, async () => {
      const s = performance.now();
      try {
        await one();
        samples.push(performance.now() - s);
      } catch (err) {
        errors.push(describe(err));
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const summary = samples.length > 0 ? latencySummary(samples, 1) : { p50: NaN, p95: NaN, samples: [] };
  return {
    calls: HTTP_CONCURRENCY,
    errors: errors.length,
    errorSamples: errors.slice(0, 5),
    wallMs: Math.round(wallMs),
    latency: { ...summary, p99: samples.length > 0 ? Math.round(percentile(samples, 99) * 10) / 10 : NaN },
  };
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'berth-bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

function startServer(configFile: string, home: string, token: string) {
  const child = spawn(
    process.execPath,
    [BIN, '-f', configFile, 'mcp', '--http', '--port', '0', '--token', token],
    { env: { ...process.env, BERTH_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`berth mcp --http did not start: ${stderr}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-8192);
      const url = /berth MCP server on (\S+)/.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
    child.once('exit', (code) => reject(new Error(`berth mcp --http exited with ${code}: ${stderr}`)));
  });
}
