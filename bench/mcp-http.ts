import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { runCommand, spawnBerthServer, type BerthServer } from './child.js';
import { expectExit } from './checks.js';
import { compare, factIs } from './comparison.js';
import { openBenchHub } from './fixture.js';
import type { PartContext } from './options.js';
import { describe, log, type PartResult } from './report.js';

const PROJECT = 'app';
/** Calls at once, over HTTP and as `docker exec` processes. */
export const HTTP_CONCURRENCY = 200;
const CALL_TIMEOUT_MS = 120_000;

interface Burst {
  samples: number[];
  errors: string[];
  wallMs: number;
}

/**
 * `HTTP_CONCURRENCY` concurrent `run_command true` through one MCP SDK client over Streamable
 * HTTP to a spawned `berth mcp --http`, then as many concurrent `docker exec <id> true` CLI
 * processes on the same container; one warm-up burst of each first, and a ping from a second
 * client while the berth burst is in flight.
 */
export async function benchMcpHttp({ dir, signal }: PartContext): Promise<PartResult> {
  const fixture = openBenchHub(dir, [PROJECT]);
  let server: BerthServer | undefined;
  const clients: Client[] = [];
  try {
    log('mcp-http: bringing up 1 project');
    const containerId = await fixture.up();
    const token = randomBytes(32).toString('base64url');
    const args = ['-f', fixture.configFile, 'mcp', '--http', '--port', '0', '--token', token];
    server = await spawnBerthServer(args, fixture.home, /berth MCP server on (\S+)/, signal);
    const load = await connect(server.url, token);
    const pinger = await connect(server.url, token);
    clients.push(load, pinger);
    const berthOne = async () => {
      const r = (await load.callTool(
        { name: 'run_command', arguments: { project: PROJECT, command: 'true' } },
        undefined,
        { timeout: CALL_TIMEOUT_MS },
      )) as CallToolResult;
      const reply = r.structuredContent as { exit_code?: unknown } | undefined;
      if (r.isError || reply?.exit_code !== 0) throw new Error(`run_command: ${JSON.stringify(r.content)}`);
    };
    const dockerOne = async () => {
      const r = await runCommand('docker', ['exec', containerId, 'true']);
      expectExit({ code: r.exitCode, stderr: r.stderr }, 'docker exec');
    };
    log(`mcp-http: warm-up bursts of ${HTTP_CONCURRENCY}`);
    await burst(berthOne, signal);
    await burst(dockerOne, signal);
    log(`mcp-http: ${HTTP_CONCURRENCY} concurrent run_command over HTTP`);
    const pinging = (async () => {
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      await pinger.ping();
      return performance.now() - started;
    })();
    const berth = await burst(berthOne, signal);
    const pingMs = await pinging;
    log(`mcp-http: ${HTTP_CONCURRENCY} concurrent docker exec processes`);
    const docker = await burst(dockerOne, signal);
    const facts = {
      'berth errors': berth.errors.length,
      'docker exec errors': docker.errors.length,
      'berth all done ms': Math.round(berth.wallMs),
      'docker exec all done ms': Math.round(docker.wallMs),
      'ping during the burst ms': Math.round(pingMs),
    };
    return {
      about: [
        `${HTTP_CONCURRENCY} concurrent \`true\` on one project: run_command through one MCP SDK client ` +
          '(Streamable HTTP) to a spawned `node bin/berth.js -f <berth.yaml> mcp --http`, against as many ' +
          'docker exec CLI child processes; one warm-up burst of each first',
      ],
      comparisons: [
        compare(
          `MCP run_command over HTTP, ${HTTP_CONCURRENCY} concurrent`,
          { label: 'run_command over HTTP', samples: berth.samples },
          { label: 'docker exec', samples: docker.samples },
          { at: [50, 99], facts, aim: factIs('berth errors', 0) },
        ),
      ],
      notes: [...berth.errors, ...docker.errors].slice(0, 5).map((e) => `error: ${e}`),
    };
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    await server?.stop();
    await fixture.close();
  }
}

/** Starts every call at once; the latency of each that succeeded, the errors of the others. */
async function burst(one: () => Promise<void>, signal: AbortSignal): Promise<Burst> {
  signal.throwIfAborted();
  const samples: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: HTTP_CONCURRENCY }, async () => {
      const t0 = performance.now();
      try {
        await one();
        samples.push(performance.now() - t0);
      } catch (err) {
        errors.push(describe(err));
      }
    }),
  );
  return { samples, errors, wallMs: performance.now() - started };
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
