import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isBerthError } from '../src/errors.js';
import { BROWSER_BLOCKED_PORTS, isPortExcluded } from '../src/preview/blocked-ports.js';
import { PortPool, PREVIEW_PORT_RANGE } from '../src/preview/port-pool.js';
import { portIsFree } from '../src/preview/port-probe.js';
import { Store } from '../src/store/store.js';
import { makeTempDir } from './helpers/test-hub.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** A stretch of the default range dense with browser-blocked ports (6566, 6665–6669, 6679, 6697). */
const DENSE: [number, number] = [6560, 6700];

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

function openPool(home: string, range: [number, number] = DENSE): PortPool {
  const store = Store.open(home);
  opened.push(store);
  return new PortPool({ store, home, range });
}

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host }, () => resolve(server));
    opened.push({ close: () => server.close() });
  });
}

/** A berth process that allocates `count` ports at once, for teams named after it. */
function allocateInChild(home: string, name: string, count: number): Promise<number[]> {
  const script = `
    import { Store } from './src/store/store.ts';
    import { PortPool } from './src/preview/port-pool.ts';
    const home = ${JSON.stringify(home)};
    const store = Store.open(home);
    const pool = new PortPool({ store, home, range: ${JSON.stringify(DENSE)} });
    const ports = await Promise.all(
      Array.from({ length: ${count} }, (_, i) => pool.allocate({ team: ${JSON.stringify(name)}, app: 'app' + i })),
    );
    store.close();
    process.stdout.write(JSON.stringify(ports));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as number[]);
      else reject(new Error(`child ${name} exited ${code}: ${err}`));
    });
  });
}

describe('the blocked-port list', () => {
  it('leaves out every browser-restricted port of 5000–8999', () => {
    const inRange = [...BROWSER_BLOCKED_PORTS].filter(
      (p) => p >= PREVIEW_PORT_RANGE[0] && p <= PREVIEW_PORT_RANGE[1],
    );
    expect(inRange.sort((a, b) => a - b)).toEqual([
      5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697,
    ]);
    for (const p of inRange) expect(isPortExcluded(p, 'linux')).toBe(true);
    expect(isPortExcluded(5000, 'linux')).toBe(false);
    expect(isPortExcluded(5000, 'darwin')).toBe(true);
    expect(isPortExcluded(7000, 'darwin')).toBe(true);
  });
});

describe('the preview port pool', () => {
  it('hands 50 concurrent allocations from 5 processes 50 different ports, none of them blocked', async () => {
    const home = join(makeTempDir(), 'home');
    // the parent migrates the store first: concurrent first opens are not what this tests
    const pool = openPool(home);
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((name) => allocateInChild(home, name, 10)),
    );
    const ports = results.flat();
    expect(ports).toHaveLength(50);
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(DENSE[0]);
      expect(p).toBeLessThanOrEqual(DENSE[1]);
      expect(BROWSER_BLOCKED_PORTS.has(p)).toBe(false);
    }
    // the range is small enough that the blocked ports in it were reached and stepped over
    expect(Math.max(...ports)).toBeGreaterThan(6566);
    // what the children recorded is what they returned
    const recorded = pool.list();
    expect(recorded).toHaveLength(50);
    expect(new Set(recorded.map((r) => r.port))).toEqual(new Set(ports));
  }, 120_000);

  it('skips a port something already listens on (loopback or every address)', async () => {
    const home = join(makeTempDir(), 'home');
    // find two free ports in a quiet stretch, then occupy them the two ways a server can
    const free: number[] = [];
    for (let p = 8800; p < 8999 && free.length < 3; p++) if (await portIsFree(p)) free.push(p);
    const [first, second, third] = free as [number, number, number];
    await listen(first, '127.0.0.1');
    await listen(second, '::');
    expect(await portIsFree(first)).toBe(false);
    expect(await portIsFree(second)).toBe(false);
    const pool = openPool(home, [first, third]);
    const port = await pool.allocate({ team: 't', app: 'web' });
    expect(port).not.toBe(first);
    expect(port).not.toBe(second);
    expect(await portIsFree(port)).toBe(true);
  });

  it('gives the same owner the same port after a restart, and different owners different ports', async () => {
    const home = join(makeTempDir(), 'home');
    const pool = openPool(home);
    const web = await pool.allocate({ team: 't', app: 'web' });
    const api = await pool.allocate({ team: 't', app: 'api' });
    expect(api).not.toBe(web);
    expect(await pool.allocate({ team: 't', app: 'web' })).toBe(web);
    for (const o of opened.splice(0)) o.close();
    const again = openPool(home);
    expect(await again.allocate({ team: 't', app: 'web' })).toBe(web);
    expect(await again.allocate({ team: 't', app: 'api' })).toBe(api);
    expect(again.portOf({ team: 't', app: 'web' })).toBe(web);
  });

  it('names the range and what holds it when it is exhausted', async () => {
    const home = join(makeTempDir(), 'home');
    // 6664–6670: only 6664 and 6670 are usable, 6665–6669 are IRC ports browsers refuse
    const pool = openPool(home, [6664, 6670]);
    const got = [await pool.allocate({ team: 't', app: 'a' }), await pool.allocate({ team: 't', app: 'b' })];
    expect(got.sort()).toEqual([6664, 6670]);
    const err = await pool.allocate({ team: 't', app: 'c' }).catch((e: unknown) => e);
    expect(isBerthError(err)).toBe(true);
    const e = err as { message: string; details: Record<string, unknown> };
    expect(e.message).toContain('6664–6670');
    expect(e.message).toMatch(/of its 2 usable ports/);
    expect(e.details).toMatchObject({ reason: 'PORT_POOL_EXHAUSTED', range: [6664, 6670], usable: 2 });
    expect((e.details.taken as number) + (e.details.busy as number)).toBe(2);
    // nothing was recorded for the owner that got no port
    expect(pool.portOf({ team: 't', app: 'c' })).toBeUndefined();
  });

  it('makes a released port reusable, and releases a whole team', async () => {
    const home = join(makeTempDir(), 'home');
    const pool = openPool(home, [7100, 7101]);
    const a = await pool.allocate({ team: 't', app: 'a' });
    const b = await pool.allocate({ team: 't', app: 'b' });
    await expect(pool.allocate({ team: 'u', app: 'x' })).rejects.toThrow(/no preview port is free/);
    expect(pool.release({ team: 't', app: 'a' })).toBe(true);
    expect(pool.release({ team: 't', app: 'a' })).toBe(false);
    expect(await pool.allocate({ team: 'u', app: 'x' })).toBe(a);
    expect(pool.releaseTeam('t')).toBe(1);
    expect(await pool.allocate({ team: 'u', app: 'y' })).toBe(b);
    expect(pool.list().map((r) => [r.team, r.app, r.port])).toEqual([
      ['u', 'x', a],
      ['u', 'y', b],
    ]);
  });

  it('moves an owner off a port someone else took (reallocate)', async () => {
    const home = join(makeTempDir(), 'home');
    const pool = openPool(home, [7200, 7210]);
    const first = await pool.allocate({ team: 't', app: 'web' });
    const moved = await pool.reallocate({ team: 't', app: 'web' });
    expect(moved).not.toBe(first);
    expect(pool.portOf({ team: 't', app: 'web' })).toBe(moved);
    expect(pool.list()).toHaveLength(1);
  });

  it('refuses a bad range and nameless owners', async () => {
    const home = join(makeTempDir(), 'home');
    const store = Store.open(home);
    opened.push(store);
    expect(() => new PortPool({ store, home, range: [9000, 5000] })).toThrow(/not a range of TCP ports/);
    const pool = new PortPool({ store, home });
    await expect(pool.allocate({ team: '', app: 'web' })).rejects.toThrow(/team must be a non-empty name/);
  });
});
