import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { DEFAULT_HTTP_LIMITS, httpLimits } from '../src/mcp/http/http-limits.js';
import { startHttpServer, type RunningHttpServer } from '../src/mcp/http/http-server.js';
import { busybox, createTestHub, type TestHub } from './helpers/test-hub.js';

const TOKEN = 'd'.repeat(43);
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

interface Outcome {
  /** The status line's code, or undefined when the server closed without one. */
  status: number | undefined;
  /** ms from the connection to the server's first byte or close. */
  ms: number;
}

/**
 * A raw connection that sends `parts` one every `everyMs` (stopping once the server answers),
 * so the timing of what the client sends is exact.
 */
function trickle(port: number, parts: string[], everyMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const started = performance.now();
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    let i = 0;
    const sendNext = () => {
      if (i >= parts.length || socket.destroyed) return;
      socket.write(parts[i++]!);
      timer = setTimeout(sendNext, everyMs);
    };
    socket.once('connect', sendNext);
    socket.on('data', (c: Buffer) => {
      if (answer === '') clearTimeout(timer);
      answer += c.toString();
      if (answer.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status), ms: performance.now() - started });
    });
    setTimeout(() => reject(new Error('no answer in 60 s')), 60_000).unref();
  });
}

function request(port: number, body: string): string[] {
  const head =
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n` +
    `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  return [head, body];
}

/** The request cut into `n` pieces of about the same size. */
function pieces(text: string, n: number): string[] {
  const size = Math.ceil(text.length / n);
  return Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size)).filter((p) => p !== '');
}

describe('MCP over HTTP: time and size limits', () => {
  let t: TestHub;
  let short: RunningHttpServer;
  let defaults: RunningHttpServer;

  beforeAll(async () => {
    t = createTestHub({ projects: { box: busybox('./box') } });
    const deps = { hub: t.hub, logger: silentLogger() };
    short = await startHttpServer(deps, {
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      limits: { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 },
    });
    defaults = await startHttpServer(deps, { host: '127.0.0.1', port: 0, token: TOKEN });
  });
  afterAll(async () => {
    await short?.close();
    await defaults?.close();
    await t?.[Symbol.asyncDispose]();
  });

  it('the defaults are the documented ones, and the server runs with them', () => {
    expect(DEFAULT_HTTP_LIMITS).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      timeoutCheckMs: 250,
      keepAliveTimeoutMs: 5_000,
      maxBodyBytes: 16 * 1024 * 1024,
      sessionIdleMs: 30 * 60_000,
      maxSessions: 100,
      listenBacklog: 1024,
    });
    expect(defaults.limits).toEqual(DEFAULT_HTTP_LIMITS);
    const s = defaults.server;
    expect([s.headersTimeout, s.requestTimeout, s.keepAliveTimeout]).toEqual([10_000, 30_000, 5_000]);
    expect(() => httpLimits({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).toThrow(/headers timeout/);
    expect(() => httpLimits({ maxSessions: 0 })).toThrow(/maxSessions/);
  });

  it('slow headers get 408 at the headers timeout, within a second', async () => {
    // the head, a few bytes every 100 ms: never complete within the limit
    const [head] = request(short.port, INIT);
    const r = await trickle(short.port, pieces(head!, 40), 100);
    expect(r.status).toBe(408);
    expect(r.ms).toBeGreaterThanOrEqual(1_000);
    expect(r.ms).toBeLessThan(2_000);
  });

  it('a connection that sends nothing gets 408 at the headers timeout', async () => {
    const r = await trickle(short.port, [], 0);
    expect(r.status).toBe(408);
    expect(r.ms).toBeGreaterThanOrEqual(1_000);
    expect(r.ms).toBeLessThan(2_000);
  });

  it('a body trickled past the request timeout gets 408 at it, within a second', async () => {
    const [head, body] = request(short.port, INIT);
    // headers at once, then the body over about 4 s
    const r = await trickle(short.port, [head!, ...pieces(body!, 40)], 100);
    expect(r.status).toBe(408);
    expect(r.ms).toBeGreaterThanOrEqual(2_000);
    expect(r.ms).toBeLessThan(3_000);
  });

  it('a slow request that completes within both limits is served', async () => {
    const [head, body] = request(short.port, INIT);
    // headers over 0.5 s, the body over another 0.8 s: 1.3 s in all
    const r = await trickle(short.port, [...pieces(head!, 5), ...pieces(body!, 8)], 100);
    expect(r.status).toBe(200);
  });

  it('the default headers timeout holds too (10 s, not 30 s or more)', async () => {
    const [head] = request(defaults.port, INIT);
    const r = await trickle(defaults.port, pieces(head!, 200), 100);
    expect(r.status).toBe(408);
    expect(r.ms).toBeGreaterThanOrEqual(10_000);
    expect(r.ms).toBeLessThan(11_000);
  }, 20_000);

  it('a body over the cap gets 413', async () => {
    const capped = await startHttpServer(
      { hub: t.hub, logger: silentLogger() },
      { host: '127.0.0.1', port: 0, token: TOKEN, limits: { maxBodyBytes: 1024 } },
    );
    try {
      const big = JSON.stringify({ padding: 'x'.repeat(2048) });
      const r = await trickle(capped.port, request(capped.port, big), 10);
      expect(r.status).toBe(413);
      expect((await trickle(capped.port, request(capped.port, INIT), 10)).status).toBe(200);
    } finally {
      await capped.close();
    }
  });
});
