import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { RunningHttpServer } from '../src/mcp/http/http-server.js';
import { startHttpHub, type HttpHub } from './helpers/http-hub.js';

/**
 * The server scenarios of @modelcontextprotocol/conformance 0.1.16 that apply to berth, run with
 * the SDK's real Client the way that suite runs them (same requests, same checks), plus the bearer
 * token berth requires. Not applicable, because berth has no such capability or test tool:
 * logging-set-level, completion-complete, resources-*, prompts-*, tools-call-* (they call the
 * suite's own test_* tools), elicitation-*, json-schema-2020-12, server-sse-polling (a
 * test_reconnection tool and resumable streams).
 */
const TOKEN = 'e'.repeat(43);

async function suiteClient(server: RunningHttpServer) {
  // the suite's client declares sampling and elicitation
  const client = new Client(
    { name: 'conformance-test-client', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {} } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

/** Like the suite's undici request: Host and Origin set by hand. */
function initializeWithHost(server: RunningHttpServer, host: string): Promise<number> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'conformance-dns-rebinding-test', version: '1.0.0' },
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/mcp',
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          Host: host,
          Origin: `http://${host}`,
          Authorization: `Bearer ${TOKEN}`,
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('MCP conformance scenarios (server, applicable ones)', () => {
  let server: RunningHttpServer;

  let fixture: HttpHub | undefined;

  beforeAll(async () => {
    fixture = await startHttpHub(TOKEN);
    server = fixture.server;
  });
  afterAll(async () => {
    await fixture?.[Symbol.asyncDispose]();
  });

  it('server-initialize: the handshake succeeds with a valid result', async () => {
    const { client } = await suiteClient(server);
    expect(client.getServerVersion()).toMatchObject({ name: 'berth', version: expect.any(String) });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {} });
    await client.close();
  });

  it('server-initialize: each supported protocol version is accepted as asked', async () => {
    for (const version of SUPPORTED_PROTOCOL_VERSIONS) {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'c', version: '1' } },
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('mcp-session-id')).toBeTruthy();
      expect(await res.text()).toContain(`"protocolVersion":"${version}"`);
    }
    expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(LATEST_PROTOCOL_VERSION);
  });

  it('ping: answers with an empty object', async () => {
    const { client } = await suiteClient(server);
    expect(await client.ping()).toEqual({});
    await client.close();
  });

  it('tools-list: every tool has a name, a description and an input schema', async () => {
    const { client } = await suiteClient(server);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      expect(tool.name, JSON.stringify(tool)).toBeTruthy();
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.inputSchema, tool.name).toMatchObject({ type: 'object' });
    }
    await client.close();
  });

  it('dns-rebinding-protection: 4xx for a foreign Host/Origin, 2xx for this server', async () => {
    const evil = await initializeWithHost(server, 'evil.example.com');
    expect(evil).toBeGreaterThanOrEqual(400);
    expect(evil).toBeLessThan(500);
    const own = await initializeWithHost(server, `localhost:${server.port}`);
    expect(own).toBeGreaterThanOrEqual(200);
    expect(own).toBeLessThan(300);
  });

  it('server-sse-multiple-streams: three concurrent POSTs in one session, each a working stream', async () => {
    const { client, transport } = await suiteClient(server);
    const sessionId = transport.sessionId;
    expect(sessionId).toBeTruthy();
    const responses = await Promise.all(
      [0, 1, 2].map((i) =>
        fetch(server.url, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${TOKEN}`,
            'Content-Type': 'application/json',
            Accept: 'text/event-stream, application/json',
            'mcp-session-id': sessionId!,
            'mcp-protocol-version': '2025-03-26',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1000 + i, method: 'tools/list', params: {} }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    bodies.forEach((body, i) => {
      expect(responses[i]!.headers.get('content-type')).toContain('text/event-stream');
      expect(body).toContain(`"id":${1000 + i}`);
      expect(body).toContain('"tools":[');
    });
    await client.close();
  });
});
