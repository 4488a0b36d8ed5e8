import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../src/logger.js';
import { startHttpServer, type RunningHttpServer } from '../src/mcp/http/http-server.js';
import { busybox, createTestHub, type TestHub } from './helpers/test-hub.js';
import { startHttpHub, type HttpHub } from './helpers/http-hub.js';

const TOKEN = 'c'.repeat(43);

interface Connected {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** JSON-RPC ids of the tools/call requests this client sent. */
  callIds: unknown[];
}

/** A real SDK client; its fetch is watched only to read the ids it sends. */
async function connect(server: RunningHttpServer): Promise<Connected> {
  const callIds: unknown[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    fetch: (url, init) => {
      if (typeof init?.body === 'string') {
        const msg = JSON.parse(init.body) as { method?: string; id?: unknown };
        if (msg.method === 'tools/call') callIds.push(msg.id);
      }
      return fetch(url, init);
    },
  });
  const client = new Client({ name: 'sessions-test', version: '1' });
  await client.connect(transport);
  return { client, transport, callIds };
}

function run(c: Connected, command: string, signal?: AbortSignal): Promise<CallToolResult> {
  return c.client.callTool({ name: 'run_command', arguments: { project: 'box', command } }, undefined, {
    ...(signal ? { signal } : {}),
    timeout: 60_000,
  }) as Promise<CallToolResult>;
}

describe('MCP over HTTP: sessions', () => {
  let t: TestHub;
  let server: RunningHttpServer;
  /** The command lines of the processes now running in the project container. */
  const processes = async () => {
    const ps = await t.hub.exec('box', ['ps', '-o', 'args']);
    return ps.stdout.split('\n').filter((l) => l.startsWith('sleep '));
  };

  let fixture: HttpHub | undefined;

  beforeAll(async () => {
    fixture = await startHttpHub(TOKEN, { up: true });
    ({ t, server } = fixture);
  });
  afterAll(async () => {
    await fixture?.[Symbol.asyncDispose]();
  });

  it('a cancel (AbortSignal on callTool) stops the command promptly, its processes gone', async () => {
    const c = await connect(server);
    try {
      const abort = new AbortController();
      const call = run(c, 'sleep 3117; echo never', abort.signal);
      await expect.poll(processes, { timeout: 10_000 }).toContain('sleep 3117');
      const cancelledAt = Date.now();
      abort.abort(new Error('the user pressed stop'));
      await expect(call).rejects.toThrow(/pressed stop/);
      await expect.poll(processes, { timeout: 5_000, interval: 100 }).not.toContain('sleep 3117');
      expect(Date.now() - cancelledAt).toBeLessThan(5_000);
      // the session goes on serving
      const after = await run(c, 'echo still here');
      expect(after.structuredContent).toMatchObject({ exit_code: 0, stdout: 'still here\n' });
    } finally {
      await c.client.close();
    }
  });

  it("a cancel never reaches another client's request, even with the same JSON-RPC id", async () => {
    const a = await connect(server);
    const b = await connect(server);
    try {
      const abort = new AbortController();
      const callA = run(a, 'sleep 3118', abort.signal);
      const callB = run(b, 'sleep 3119 & wait; echo b finished');
      // 3119 is a child of B's shell: ps shows it once B's command runs
      await expect.poll(processes, { timeout: 10_000 }).toEqual(expect.arrayContaining(['sleep 3118']));
      expect(a.callIds).toEqual(b.callIds);
      expect(a.callIds).toHaveLength(1);
      abort.abort(new Error('stop A only'));
      await expect(callA).rejects.toThrow(/stop A only/);
      await expect.poll(processes, { timeout: 5_000, interval: 100 }).not.toContain('sleep 3118');
      expect(await processes()).toContain('sleep 3119');
      // B is killed here by its own session's end, not by A's cancel: end it cleanly first
      void callB.catch(() => undefined);
    } finally {
      await a.client.close();
      await b.transport.terminateSession();
      await b.client.close();
    }
    // ending B's session (DELETE) aborted its call too
    await expect.poll(processes, { timeout: 5_000, interval: 100 }).not.toContain('sleep 3119');
  });

  it('GET is 405 with Allow; DELETE ends a session (400 without one, 404 for an unknown one)', async () => {
    const headers = { Authorization: `Bearer ${TOKEN}` };
    const get = await fetch(server.url, { headers: { ...headers, Accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, DELETE');
    expect((await fetch(server.url, { method: 'DELETE', headers })).status).toBe(400);
    const unknown = await fetch(server.url, {
      method: 'DELETE',
      headers: { ...headers, 'Mcp-Session-Id': 'no-such-session' },
    });
    expect(unknown.status).toBe(404);
    const c = await connect(server);
    const id = c.transport.sessionId!;
    expect(id).toMatch(/^[\w-]{32}$/);
    const before = server.sessionCount();
    const del = await fetch(server.url, { method: 'DELETE', headers: { ...headers, 'Mcp-Session-Id': id } });
    expect(del.status).toBe(200);
    expect(server.sessionCount()).toBe(before - 1);
    await expect(c.client.listTools()).rejects.toThrow(/404|Session not found/);
    await c.client.close();
  });
});

describe('MCP over HTTP: session idle expiry and cap', () => {
  let t: TestHub;

  beforeAll(async () => {
    t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
  });
  afterAll(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it('an idle session expires; one with a request in flight does not', async () => {
    const server = await startHttpServer(
      { hub: t.hub, logger: silentLogger() },
      { host: '127.0.0.1', port: 0, token: TOKEN, limits: { sessionIdleMs: 400 } },
    );
    try {
      const idle = await connect(server);
      const busy = await connect(server);
      const call = run(busy, 'sleep 1; echo done');
      await expect.poll(() => server.sessionCount(), { timeout: 3_000 }).toBe(1);
      await expect(idle.client.listTools()).rejects.toThrow(/404|Session not found/);
      expect((await call).structuredContent).toMatchObject({ exit_code: 0, stdout: 'done\n' });
      await expect.poll(() => server.sessionCount(), { timeout: 3_000 }).toBe(0);
      await idle.client.close();
      await busy.client.close();
    } finally {
      await server.close();
    }
  });

  it('at the cap a new session replaces the idlest; when all are busy it gets 503', async () => {
    const server = await startHttpServer(
      { hub: t.hub, logger: silentLogger() },
      { host: '127.0.0.1', port: 0, token: TOKEN, limits: { maxSessions: 2 } },
    );
    const clients: Connected[] = [];
    try {
      const busy = await connect(server);
      const idle = await connect(server);
      clients.push(busy, idle);
      const stop = new AbortController();
      const callBusy = run(busy, 'sleep 3120', stop.signal).catch(() => undefined);
      await expect
        .poll(async () => (await t.hub.exec('box', ['ps', '-o', 'args'])).stdout)
        .toContain('sleep 3120');
      const third = await connect(server);
      clients.push(third);
      expect(server.sessionCount()).toBe(2);
      await expect(idle.client.listTools()).rejects.toThrow(/404|Session not found/);
      expect((await busy.client.ping()) as object).toEqual({});
      const callThird = run(third, 'sleep 3121', stop.signal).catch(() => undefined);
      await expect
        .poll(async () => (await t.hub.exec('box', ['ps', '-o', 'args'])).stdout)
        .toContain('sleep 3121');
      await expect(connect(server)).rejects.toThrow(/503|sessions are open and busy/);
      stop.abort();
      await Promise.all([callBusy, callThird]);
    } finally {
      for (const c of clients) await c.client.close();
      await server.close();
    }
  });
});
