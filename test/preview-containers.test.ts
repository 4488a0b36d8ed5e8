import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBerthError } from '../src/errors.js';
import { runExec } from '../src/exec/run-exec.js';
import { silentLogger } from '../src/logger.js';
import { portIsFree } from '../src/preview/port-probe.js';
import { Previews } from '../src/preview/previews.js';
import type { PreviewApp, PreviewStatus } from '../src/preview/preview-types.js';
import { ensureTeamNetwork } from '../src/preview/team-network.js';
import { handWorkspaceToPreviewUser } from '../src/preview/workspace-access.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';

const runtime = new DockerRuntime(silentLogger());
const run = randomBytes(4).toString('hex');
const TEAM = `pv-${run}`;
const TEAM_LABELS = { 'berth.test': 'preview-containers', 'berth.team': TEAM };
/** The host's bundle: on this machine the only one that trusts the TLS-intercepting proxy. */
const CA = '/etc/ssl/certs/ca-certificates.crt';
const FIXTURES = new URL('./fixtures/team/', import.meta.url).pathname;
const folders: string[] = [];
let network = '';
let networkId = '';
const exits: PreviewStatus[] = [];
const previews = new Previews(runtime, { namePrefix: 'berth-test', onExit: (s) => exits.push(s) });

/** A copy of a fixture, owned by the preview user like a workspace berth cloned. */
function workspace(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), `berth-test-preview-${fixture}-`));
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  handWorkspaceToPreviewUser(dir);
  folders.push(dir);
  return dir;
}

let nextPort = 7400 + Math.floor(Math.random() * 1000);
async function freePort(): Promise<number> {
  while (!(await portIsFree(nextPort))) nextPort++;
  return nextPort++;
}

async function previewApp(
  name: string,
  over: Partial<PreviewApp> & Pick<PreviewApp, 'framework' | 'runtime' | 'workspace'>,
): Promise<PreviewApp> {
  const port = over.port ?? (await freePort());
  const { devCommand, ...rest } = over;
  return {
    team: TEAM,
    app: name,
    root: '',
    devCommand: (devCommand ?? '').replaceAll('$PORT', String(port)),
    devEnv: {},
    polling: 'auto',
    pollingEnv: {},
    port,
    network,
    labels: { ...TEAM_LABELS, 'berth.app': name },
    teamLabels: TEAM_LABELS,
    caBundle: CA,
    ...rest,
  };
}

/** GET with a chosen Host header (fetch cannot set one). */
function get(
  port: number,
  path = '/',
  host = `localhost:${port}`,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

async function inContainer(id: string, script: string): Promise<string> {
  const r = await runExec(runtime, id, { argv: ['sh', '-c', script], user: '1000:1000', timeoutMs: 30_000 });
  return r.stdout + r.stderr;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The line without its terminal colour codes (Vite colours its output). */
function stripColours(line: string): string {
  return line.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

beforeAll(async () => {
  network = `berth-test-preview-${run}`;
  networkId = (await ensureTeamNetwork(runtime, network, TEAM_LABELS)).id;
});

afterAll(async () => {
  previews.close();
  await previews.remove(TEAM_LABELS);
  if (networkId) await runtime.networks.remove(networkId);
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  const left = await runtime.containers.list(TEAM_LABELS);
  const volumes = await runtime.volumes.list(TEAM_LABELS);
  runtime.close();
  expect(left.map((c) => c.name)).toEqual([]);
  expect(volumes.map((v) => v.name)).toEqual([]);
});

describe('a Vite React preview', () => {
  let app: PreviewApp;
  let first: PreviewStatus;

  it('installs (cold npm cache), starts and serves the page through the published port, with the wrapper config in effect', async () => {
    const ws = workspace('vite-react');
    app = await previewApp('web', {
      framework: 'vite-react',
      runtime: 'node',
      workspace: ws,
      devCommand: 'npx --no -- vite --host 0.0.0.0 --port $PORT --strictPort',
      install: 'npm install',
      pollingEnv: { CHOKIDAR_USEPOLLING: 'true' },
      configFile: 'vite.config.js',
      hosts: ['web.preview.test'],
    });
    const progress: string[] = [];
    const started = performance.now();
    first = await previews.start(app, { onProgress: (l) => progress.push(l), readyTimeoutMs: 120_000 });
    const coldMs = performance.now() - started;
    console.log(
      `[figures] Vite React cold start (empty npm cache and node_modules volumes): ${(coldMs / 1000).toFixed(1)} s`,
    );
    expect(first).toMatchObject({
      app: 'web',
      state: 'ready',
      port: app.port,
      url: `http://localhost:${app.port}/`,
    });
    expect(first.hotReload).toMatchObject({ mode: 'inotify' });
    expect(progress.some((l) => l.startsWith('berth: installing: npm install'))).toBe(true);
    expect(progress.some((l) => /added \d+ packages/.test(l))).toBe(true);

    const page = await fetch(first.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).toContain('/@vite/client');
    const client = await get(app.port, '/@vite/client');
    expect(client.status).toBe(200);
    // the HMR client is told the page's own port
    expect(client.body).toContain(`${app.port}`);
    // allowedHosts from the wrapper: the named host passes, any other is refused by Vite
    expect((await get(app.port, '/', `web.preview.test:${app.port}`)).status).toBe(200);
    expect((await get(app.port, '/', `other.example:${app.port}`)).status).toBe(403);
    // the wrapper lives in the node_modules volume, not in the repository
    expect(
      await inContainer(first.containerId!, 'test -f node_modules/.berth/vite.config.mjs && echo there'),
    ).toContain('there');
    expect(readdirSync(join(ws, 'node_modules'))).toEqual([]);
    expect(readdirSync(ws).filter((n) => n.includes('berth'))).toEqual([]);
  });

  it('a second start keeps the running container; a restart skips the install (the marker matches)', async () => {
    const again = await previews.start(app);
    expect(again.containerId).toBe(first.containerId);
    expect(again.state).toBe('ready');

    const progress: string[] = [];
    const started = performance.now();
    const restarted = await previews.restart(app, { onProgress: (l) => progress.push(l) });
    const warmMs = performance.now() - started;
    console.log(`[figures] Vite React restart (install skipped): ${(warmMs / 1000).toFixed(1)} s`);
    expect(restarted).toMatchObject({ state: 'ready', containerId: first.containerId, port: app.port });
    expect(progress).toContain('berth: dependencies unchanged since the last install: install skipped');
    expect(progress.some((l) => l.startsWith('berth: installing'))).toBe(false);
    expect(warmMs).toBeLessThan(30_000);
    const marker = await inContainer(first.containerId!, 'cat node_modules/.berth/install-hash');
    expect(marker.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect((await fetch(restarted.url)).status).toBe(200);
  });

  it('a host edit of a component reaches Vite as an HMR update (timed)', async () => {
    const file = join(app.workspace, 'src', 'App.jsx');
    // a page was loaded: Vite updates only modules in its graph
    for (const path of ['/', '/src/main.jsx', '/src/App.jsx'])
      expect((await get(app.port, path)).status).toBe(200);
    const updates: number[] = [];
    let partial = '';
    const following = new AbortController();
    const onChunk = (c: Buffer) => {
      const lines = (partial + c.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines)
        if (/hmr update \/src\/App\.jsx/.test(stripColours(l))) updates.push(performance.now());
    };
    void runtime.containers.logs(first.containerId!, {
      follow: true,
      tail: 0,
      onStdout: onChunk,
      onStderr: onChunk,
      signal: following.signal,
    });
    await new Promise((r) => setTimeout(r, 500));
    const samples: number[] = [];
    try {
      for (let i = 0; i < 7; i++) {
        const before = updates.length;
        const t0 = performance.now();
        writeFileSync(file, `export default function App() {\n  return <h1>edit ${i} ${run}</h1>;\n}\n`);
        await until(
          'the HMR update in the log',
          async () => (updates.length > before ? true : undefined),
          20_000,
        );
        samples.push(updates[before]! - t0);
        await new Promise((r) => setTimeout(r, 400));
      }
    } finally {
      following.abort();
    }
    console.log(
      `[figures] host write → Vite "hmr update" line in the followed container log (inotify), p50 ${median(samples).toFixed(0)} ms, max ${Math.max(...samples).toFixed(0)} ms; samples ${samples.map((s) => s.toFixed(0)).join(', ')} ms`,
    );
    const served = await get(app.port, '/src/App.jsx');
    expect(served.body).toContain(`edit 6 ${run}`);
  });

  it('polling always: the variables are in the container, and the wrapper (over a function config that sets server) turns on usePolling', async () => {
    const ws = workspace('vite-react');
    writeFileSync(
      join(ws, 'vite.fn.config.js'),
      [
        "import { defineConfig } from 'vite';",
        "import react from '@vitejs/plugin-react';",
        'export default defineConfig(async ({ command }) => ({',
        '  plugins: [react()],',
        "  server: { headers: { 'x-berth-fixture': command }, port: 1 },",
        '}));',
        '',
      ].join('\n'),
    );
    handWorkspaceToPreviewUser(ws);
    const polled = await previewApp('web-polled', {
      framework: 'vite-react',
      runtime: 'node',
      workspace: ws,
      devCommand: 'npx --no -- vite --host 0.0.0.0 --port $PORT --strictPort',
      install: 'npm install',
      polling: 'always',
      pollingEnv: { CHOKIDAR_USEPOLLING: 'true' },
      configFile: 'vite.fn.config.js',
    });
    const started = performance.now();
    const s = await previews.start(polled, { readyTimeoutMs: 120_000 });
    console.log(
      `[figures] Vite React first start with a warm npm cache (new node_modules volume): ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(s).toMatchObject({
      state: 'ready',
      hotReload: { mode: 'polling', reason: expect.stringMatching(/polling is always/) },
    });
    const env = await inContainer(s.containerId!, 'env');
    expect(env).toMatch(/^CHOKIDAR_USEPOLLING=true$/m);
    expect(env).toMatch(/^BERTH_HOT_RELOAD=polling$/m);
    const config = await inContainer(
      s.containerId!,
      `node --input-type=module -e "const m = await import('/workspace/node_modules/.berth/vite.config.mjs'); const c = await m.default({ command: 'serve', mode: 'development' }); console.log(JSON.stringify(c.server))"`,
    );
    expect(JSON.parse(config.trim().split('\n').pop()!)).toMatchObject({
      host: '0.0.0.0',
      port: polled.port,
      strictPort: true,
      hmr: { clientPort: polled.port },
      watch: { usePolling: true },
      headers: { 'x-berth-fixture': 'serve' },
      allowedHosts: ['localhost'],
    });
    // the app's own server settings reach the running server, merged with berth's
    const page = await get(polled.port);
    expect(page.status).toBe(200);
    expect(page.headers['x-berth-fixture']).toBe('serve');
  });
});

describe('a Flask preview', () => {
  it('is ready, and reloads after a host edit of the app', async () => {
    const ws = workspace('flask');
    const app = await previewApp('api', {
      framework: 'flask',
      runtime: 'python',
      workspace: ws,
      devCommand: 'python3 -m flask --app app run --host 0.0.0.0 --port $PORT --debug',
      devEnv: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    const s = await previews.start(app);
    expect(s.state).toBe('ready');
    expect((await get(app.port)).body).toBe('Hello from the Flask fixture');
    writeFileSync(
      join(ws, 'app.py'),
      'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get("/")\ndef index():\n    return "Reloaded by berth"\n',
    );
    const t0 = performance.now();
    await until(
      'the reloaded answer',
      async () => ((await get(app.port)).body === 'Reloaded by berth' ? true : undefined),
      30_000,
    );
    console.log(`[figures] Flask: host edit → new answer in ${(performance.now() - t0).toFixed(0)} ms`);
  });
});

describe('a static preview', () => {
  it("serves index.html with Python's http.server", async () => {
    const ws = workspace('static');
    const app = await previewApp('site', {
      framework: 'static',
      runtime: 'static',
      workspace: ws,
      devCommand: 'python3 -m http.server $PORT --bind 0.0.0.0',
    });
    const s = await previews.start(app);
    expect(s).toMatchObject({ state: 'ready', hotReload: { mode: 'inotify' } });
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Static fixture</title>');
    const [listed] = await previews.status({ ...TEAM_LABELS, 'berth.app': 'site' });
    expect(listed).toMatchObject({ app: 'site', state: 'ready', hotReload: { mode: 'inotify' } });

    await previews.stop({ ...TEAM_LABELS, 'berth.app': 'site' });
    const stopped = await previews.statusOf(TEAM_LABELS, 'site');
    expect(stopped.state).toBe('stopped');
    expect(existsSync(join(ws, 'index.html'))).toBe(true);
    expect(exits.filter((e) => e.app === 'site')).toEqual([]);
    expect(await previews.statusOf(TEAM_LABELS, 'nothing', 1234)).toMatchObject({
      state: 'missing',
      port: 1234,
    });
  });
});

describe('failures', () => {
  it('a dev server that exits is reported within 2 s of its exit, with its last lines, and in status', async () => {
    const ws = workspace('static');
    const app = await previewApp('crashy', {
      framework: 'static',
      runtime: 'static',
      workspace: ws,
      devCommand: 'echo "about to fail at $(date +%s%3N)"; sleep 1; exit 3',
    });
    const err = await previews.start(app).then(
      () => undefined,
      (e: unknown) => e,
    );
    const caughtAt = Date.now();
    expect(isBerthError(err, 'UP_FAILED')).toBe(true);
    const e = err as { message: string; details: { exitCode?: number; lastLines?: string[] } };
    expect(e.message).toMatch(/crashed: the dev server exited with code 3/);
    expect(e.message).toMatch(/about to fail at \d+/);
    const printed = Number(/about to fail at (\d+)/.exec(e.message)![1]);
    const sinceExit = caughtAt - (printed + 1000);
    console.log(`[figures] crash reported ${sinceExit} ms after the dev server's exit`);
    expect(sinceExit).toBeLessThan(2000);
    expect(e.details.exitCode).toBe(3);
    const status = await previews.statusOf(TEAM_LABELS, 'crashy');
    expect(status).toMatchObject({ state: 'crashed', exitCode: 3 });
    expect(status.lastLines?.some((l) => l.startsWith('about to fail'))).toBe(true);
  });

  it('a dev server that never listens is not ready after the timeout, with a clear message and its log', async () => {
    const ws = workspace('static');
    const app = await previewApp('deaf', {
      framework: 'static',
      runtime: 'static',
      workspace: ws,
      devCommand: 'echo "pretending to serve"; exec sleep 600',
    });
    const t0 = Date.now();
    const err = await previews.start(app, { readyTimeoutMs: 3000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBerthError(err, 'NOT_READY')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toMatch(new RegExp(`waited \\d+\\.\\d s for port ${app.port} to accept connections`));
    expect(msg).toMatch(/must listen on 0\.0\.0\.0/);
    expect(msg).toContain('pretending to serve');
    expect(Date.now() - t0).toBeLessThan(30_000);
    const status = await previews.statusOf(TEAM_LABELS, 'deaf');
    expect(['starting', 'unhealthy']).toContain(status.state);
  });

  it('a crash after ready reaches onExit as soon as the engine sees it', async () => {
    const ws = workspace('static');
    const app = await previewApp('late-crash', {
      framework: 'static',
      runtime: 'static',
      workspace: ws,
      devCommand: 'python3 -m http.server $PORT --bind 0.0.0.0',
    });
    const s = await previews.start(app);
    expect(s.state).toBe('ready');
    const t0 = Date.now();
    await inContainer(s.containerId!, 'pkill -f "http.server"');
    const seen = await until(
      'the exit report',
      async () => exits.find((x) => x.app === 'late-crash'),
      10_000,
    );
    console.log(`[figures] crash after ready → onExit in ${Date.now() - t0} ms`);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(seen.state).toBe('crashed');
    expect(seen.lastLines?.some((l) => /^berth: the dev server exited with code 143/.test(l))).toBe(true);
  });
});

describe('the hot-reload canary', () => {
  it('chooses polling when the host write does not reach the container, and the dev server gets the polling variables', async () => {
    // The canary is written into a host folder the container does not mount: no event can
    // arrive. This shows the decision and its effect, not that a real mount without events
    // (Docker Desktop, WSL2) is detected; that would need such a mount.
    const elsewhere = mkdtempSync(join(tmpdir(), 'berth-test-preview-elsewhere-'));
    folders.push(elsewhere);
    const blind = new Previews(runtime, {
      namePrefix: 'berth-test',
      canaryHostRoot: elsewhere,
      canarySettleMs: 1000,
    });
    const ws = workspace('static');
    const app = await previewApp('blind', {
      framework: 'static',
      runtime: 'static',
      workspace: ws,
      devCommand: 'python3 -m http.server $PORT --bind 0.0.0.0',
      pollingEnv: { WATCHFILES_FORCE_POLLING: 'true' },
    });
    const s = await blind.start(app);
    expect(s.state).toBe('ready');
    expect(s.hotReload).toEqual({
      mode: 'polling',
      reason:
        'no inotify event reached the container within 1000 ms of a host write: the dev server polls for changes',
    });
    // the canary was removed again
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readdirSync(ws).filter((n) => n.startsWith('.berth'))).toEqual([]);
    const env = await inContainer(
      s.containerId!,
      `for p in /proc/[0-9]*; do if tr '\\0' '\\n' < $p/environ 2>/dev/null | grep -qx WATCHFILES_FORCE_POLLING=true; then tr '\\0' ' ' < $p/cmdline; echo; fi; done`,
    );
    expect(env).toMatch(/http\.server/);
    expect((await blind.status({ ...TEAM_LABELS, 'berth.app': 'blind' }))[0]?.hotReload?.mode).toBe(
      'polling',
    );
    blind.close();
  });
});
