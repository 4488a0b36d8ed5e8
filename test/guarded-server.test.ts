import { rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../src/errors.js';
import {
  json,
  readJsonRequest,
  startGuardedServer,
  type GuardedServer,
  type GuardedServerOptions,
} from '../src/http/guarded-server.js';
import { routeTable } from '../src/http/route-table.js';
import { silentLogger } from '../src/logger.js';
import { makeTempDir } from './helpers/test-hub.js';

const TOKEN = 'guarded-test-token-0123456789abcdef';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  server: GuardedServer,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; socket?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const where = options.socket ? { socketPath: options.socket } : { host: '127.0.0.1', port: server.port };
    const req = request(
      {
        ...where,
        method,
        path,
        headers: { Authorization: `Bearer ${TOKEN}`, ...options.headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.once('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString(),
          }),
        );
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}

/** Engine-free: listening, the guard, timeouts, bodies, routes and error answers, over real HTTP. */
describe('startGuardedServer', () => {
  let server: GuardedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (extra: Partial<GuardedServerOptions> = {}) => {
    server = await startGuardedServer({
      listen: { host: '127.0.0.1', port: 0 },
      token: TOKEN,
      realm: 'test',
      logger: silentLogger(),
      handler: routeTable(
        [
          { method: 'GET', path: '/hello', handle: ({ res }) => json(res, 200, { hello: 'world' }) },
          {
            method: 'GET',
            path: '/things/:id',
            handle: ({ res, params }) => json(res, 200, { id: params.id }),
          },
          {
            method: 'POST',
            path: '/echo',
            readsBody: true,
            handle: async ({ req, res }) => {
              const read = await readJsonRequest(req, res, 64);
              if (read) json(res, 200, { got: read.body });
            },
          },
          {
            method: 'GET',
            path: '/refuse',
            handle: () => {
              throw new BerthError('POLICY_DENIED', 'not here');
            },
          },
          {
            method: 'GET',
            path: '/crash',
            handle: () => {
              throw new Error('/secret/host/path exploded');
            },
          },
        ],
        ({ res }) => json(res, 404, { error: 'no such route', code: 'NOT_FOUND' }),
      ),
      ...extra,
    });
    return server;
  };

  it('refuses a missing or wrong token with 401 and a realm, a foreign Host or Origin with 403', async () => {
    const s = await start();
    const none = await call(s, 'GET', '/hello', { headers: { Authorization: '' } });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="test"');
    expect(JSON.parse(none.body)).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await call(s, 'GET', '/hello', { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await call(s, 'GET', '/hello', { headers: { Host: 'evil.example' } })).status).toBe(403);
    const origin = await call(s, 'GET', '/hello', { headers: { Origin: 'http://evil.example' } });
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body)).toMatchObject({ code: 'POLICY_DENIED' });
    expect(await call(s, 'GET', '/hello')).toMatchObject({ status: 200, body: '{"hello":"world"}' });
  });

  it('accepts the extra hosts it is given', async () => {
    const s = await start({ extraHosts: ['Proxy.Example:8443'] });
    expect((await call(s, 'GET', '/hello', { headers: { Host: 'proxy.example:8443' } })).status).toBe(200);
  });

  it('routes by method and path with parameters; anything else is the not-found answer', async () => {
    const s = await start();
    expect(JSON.parse((await call(s, 'GET', '/things/abc')).body)).toEqual({ id: 'abc' });
    expect((await call(s, 'POST', '/things/abc')).status).toBe(404);
    expect((await call(s, 'GET', '/things/abc/more')).status).toBe(404);
    expect((await call(s, 'GET', '/nothing')).status).toBe(404);
  });

  it('reads JSON bodies within the cap: 413 past it, 400 for one that is not JSON', async () => {
    const s = await start();
    const ok = await call(s, 'POST', '/echo', {
      body: '{"a":1}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(JSON.parse(ok.body)).toEqual({ got: { a: 1 } });
    const big = await call(s, 'POST', '/echo', { body: JSON.stringify({ a: 'x'.repeat(100) }) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ code: 'TOO_LARGE' });
    const bad = await call(s, 'POST', '/echo', { body: '{"a":' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ error: 'body is not valid JSON', code: 'INVALID_ARGUMENT' });
  });

  it('answers a BerthError by its code, anything else with a bare 500', async () => {
    const s = await start();
    const refused = await call(s, 'GET', '/refuse');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ error: 'not here', code: 'POLICY_DENIED' });
    const crash = await call(s, 'GET', '/crash');
    expect(crash.status).toBe(500);
    expect(crash.body).not.toContain('secret');
  });

  it('drops a client that never finishes its headers within about the limit', async () => {
    const s = await start({ headersTimeoutMs: 1500, requestTimeoutMs: 5000 });
    const started = performance.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const socket = connect(s.port!, '127.0.0.1', () => {
        socket.write(
          `GET /hello HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nAuthorization: Bearer ${TOKEN}\r\n`,
        );
      });
      socket.on('data', () => {});
      socket.once('close', () => resolve(performance.now() - started));
      socket.once('error', reject);
      setTimeout(() => reject(new Error('still connected after 10 s')), 10_000).unref();
    });
    expect(closedAfter).toBeGreaterThanOrEqual(1400);
    expect(closedAfter).toBeLessThan(1500 + 1000);
  });

  it('listens on a unix socket that only its owner can open, and removes it on close', async () => {
    const dir = makeTempDir();
    const socket = join(dir, 'api.sock');
    const s = await start({ listen: { socket } });
    expect(s.url).toBe(`unix://${socket}`);
    expect(s.port).toBeUndefined();
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    // no Host check on a socket, which no browser can reach; the token still counts
    expect((await call(s, 'GET', '/hello', { socket, headers: { Host: 'anything' } })).status).toBe(200);
    expect((await call(s, 'GET', '/hello', { socket, headers: { Authorization: '' } })).status).toBe(401);
    await s.close();
    server = undefined;
    expect(() => statSync(socket)).toThrow();
    rmSync(dir, { recursive: true, force: true });
  });
});
