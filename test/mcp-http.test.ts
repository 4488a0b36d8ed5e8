import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHttpServer } from '../src/mcp/http/http-server.js';
import { tokenMatches } from '../src/http/token.js';
import { connectHttp } from './helpers/mcp-connect.js';
import { startHttpHub, type HttpHub } from './helpers/http-hub.js';

const TOKEN = 'a'.repeat(43);
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

interface Reply {
  status: number;
  body: string;
}

/** A raw request, so headers such as Host can be forged. */
function send(
  server: RunningHttpServer,
  options: { headers?: Record<string, string>; body?: string | Buffer; path?: string; chunked?: boolean },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: options.path ?? '/mcp',
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err),
    );
    const body = options.body ?? JSON.stringify(INIT);
    if (!options.chunked) return void req.end(body);
    // no Content-Length: the size is only known by counting
    for (let i = 0; i < body.length; i += 8192) req.write(body.slice(i, i + 8192));
    req.end();
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };

describe('MCP over HTTP: the front door', () => {
  let server: RunningHttpServer;

  let fixture: HttpHub | undefined;

  beforeAll(async () => {
    fixture = await startHttpHub(TOKEN, { maxBodyBytes: 64 * 1024 });
    server = fixture.server;
  });
  afterAll(async () => {
    await fixture?.[Symbol.asyncDispose]();
  });

  it('answers a valid request', async () => {
    const r = await send(server, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.body).toContain('"serverInfo":{"name":"berth"');
  });

  it('401 without a token, with a wrong one, or one of a different length', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: `Bearer ${'b'.repeat(43)}` },
      { Authorization: `Bearer ${TOKEN}x` },
      { Authorization: 'Bearer short' },
      { Authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const r = await send(server, { headers });
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.body).not.toContain(TOKEN);
    }
  });

  it('403 for a forged Host or a foreign Origin (DNS rebinding)', async () => {
    expect((await send(server, { headers: { ...auth, Host: 'evil.example' } })).status).toBe(403);
    expect((await send(server, { headers: { ...auth, Host: `evil.example:${server.port}` } })).status).toBe(
      403,
    );
    expect((await send(server, { headers: { ...auth, Origin: 'http://evil.example' } })).status).toBe(403);
    expect(
      (
        await send(server, {
          headers: { ...auth, Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}` },
        })
      ).status,
    ).toBe(200);
  });

  it('413 for an oversized body, declared or streamed', async () => {
    const big = JSON.stringify({ ...INIT, padding: 'x'.repeat(100 * 1024) });
    expect((await send(server, { headers: auth, body: big })).status).toBe(413);
    expect((await send(server, { headers: auth, body: big, chunked: true })).status).toBe(413);
    expect((await send(server, { headers: auth })).status).toBe(200);
  });

  it('a JSON-RPC error for malformed input, and the server keeps serving', async () => {
    const notJson = await send(server, { headers: auth, body: '{"jsonrpc": "2.0", "id": 1,' });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
    const notRpc = await send(server, { headers: auth, body: JSON.stringify({ hello: 'world' }) });
    expect(notRpc.status).toBeGreaterThanOrEqual(400);
    expect(notRpc.status).toBeLessThan(500);
    expect(JSON.parse(notRpc.body)).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
    expect((await send(server, { headers: auth })).status).toBe(200);
  });

  it('404 off the MCP path', async () => {
    expect((await send(server, { headers: auth, path: '/other' })).status).toBe(404);
  });

  it('a real client works end to end', async () => {
    await using mcp = await connectHttp(`http://127.0.0.1:${server.port}/mcp`, TOKEN);
    const r = await mcp.call('list_projects');
    expect(r.structuredContent).toMatchObject({ projects: [{ name: 'box' }] });
  });

  it('compares tokens in constant time whatever their length', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(`${TOKEN}a`, TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
  });
});
