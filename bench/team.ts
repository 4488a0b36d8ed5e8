import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openBerth } from '../src/app/open-berth.js';
import { silentLogger } from '../src/logger.js';
import { createServer } from '../src/mcp/server.js';
import type { ContainerRuntime } from '../src/runtime/container-runtime.js';
import { detectApps } from '../src/team/detect/index.js';
import { compare, type Comparison } from './comparison.js';
import type { PartContext } from './options.js';
import { log, type PartResult } from './report.js';
import { absoluteRow } from './sync-rows.js';
import { ByHandPreview, npmCacheVolume, removeBaseline, waitHttp } from './team-baseline.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/team/', import.meta.url));
const CA = '/etc/ssl/certs/ca-certificates.crt';
const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const COLD_RUNS = 2;
const RESTART_RUNS = 3;
const HMR_EDITS = 20;
/** Between edits (see the HMR loop). */
const EDIT_GAP_MS = 400;
const AIMS = { coldMs: 30_000, warmMs: 12_000, restartMs: 5_000, hmr: [150, 500], pollingP95: 2000 };

/** What each fixture must be detected as (framework per app root). */
const EXPECTED: Record<string, Record<string, string>> = {
  'vite-react': { '': 'vite-react' },
  'vite-plain': { '': 'vite' },
  nextjs: { '': 'nextjs' },
  cra: { '': 'create-react-app' },
  express: { '': 'express' },
  'node-plain': { '': 'node' },
  django: { '': 'django' },
  flask: { '': 'flask' },
  fastapi: { '': 'fastapi' },
  static: { '': 'static' },
  monorepo: { frontend: 'vite-react', backend: 'fastapi' },
  'monorepo-pnpm': { 'apps/server': 'express', 'apps/site': 'nextjs' },
  unknown: {},
};

/**
 * Team workspaces: a git URL to a live Vite React preview (HTTP 200 and Vite's HMR client
 * connected in a real Chromium), cold and with a warm npm cache, and a restart, each against the
 * same by hand (git clone + docker run of the same image with npm install && vite); then an MCP
 * write_file to the change shown in the open page, against a plain file write to the same
 * preview; detection over the fixtures.
 */
export async function benchTeam({ dir, signal }: PartContext): Promise<PartResult> {
  mkdirSync(dir, { recursive: true });
  const repo = bareRepo(dir, 'vite-react');
  const home = join(dir, 'home');
  const cwd = join(dir, 'cwd');
  mkdirSync(cwd, { recursive: true });
  const berth = openBerth({ cwd, home, env: { ...process.env, BERTH_HOME: home, BERTH_CA_BUNDLE: CA } });
  const teams = await berth.teams();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const comparisons: Comparison[] = [];
  const notes: string[] = [];
  try {
    // 1. cold: a new team each time (its npm cache volume is new) against a by-hand container
    //    with no npm cache
    const cold = { berth: [] as number[], hand: [] as number[] };
    for (let i = 0; i < COLD_RUNS; i++) {
      signal.throwIfAborted();
      const name = `cold${i}`;
      let started = performance.now();
      const report = await teams.start(name, { url: repo });
      const url = readyUrl(report.previews);
      await hmrConnected(browser, url);
      cold.berth.push(performance.now() - started);
      log(`team: berth cold start ${i + 1}: ${Math.round(cold.berth.at(-1)!)} ms`);
      await teams.cleanup(name, { purge: true, yes: true });

      const hand = new ByHandPreview(join(dir, `hand-cold${i}`), await freePort());
      started = performance.now();
      await hand.start(repo);
      await hmrConnected(browser, `http://127.0.0.1:${hand.port}`);
      cold.hand.push(performance.now() - started);
      log(`team: by-hand cold start ${i + 1}: ${Math.round(cold.hand.at(-1)!)} ms`);
      await hand.remove();
    }
    comparisons.push(
      compare(
        'git URL → Vite React preview, HTTP 200 + HMR connected, cold npm cache',
        { label: 'berth team start', samples: cold.berth },
        { label: 'git clone + docker run (npm install && vite)', samples: cold.hand },
        {
          at: [50],
          aim: {
            text: `berth p50 ≤ ${AIMS.coldMs / 1000} s`,
            test: (c) => c.berth.values[0]! <= AIMS.coldMs,
          },
        },
      ),
    );

    // 2. warm npm cache: one team kept; its node_modules volume is dropped before each start
    //    (the dependencies changed), so npm installs from the team's cache; the by-hand side
    //    mounts a named npm cache it warmed once
    const warm = { berth: [] as number[], hand: [] as number[] };
    const cache = await npmCacheVolume('berth-bench-team-npm-cache');
    {
      const first = await teams.start('warm', { url: repo });
      readyUrl(first.previews);
      const warmer = new ByHandPreview(join(dir, 'hand-warmer'), await freePort(), cache);
      await warmer.start(repo);
      await warmer.remove();
    }
    for (let i = 0; i < COLD_RUNS; i++) {
      signal.throwIfAborted();
      await dropNodeModules(berth.runtime, 'warm');
      let started = performance.now();
      const report = await teams.start('warm');
      await hmrConnected(browser, readyUrl(report.previews));
      warm.berth.push(performance.now() - started);
      const hand = new ByHandPreview(join(dir, `hand-warm${i}`), await freePort(), cache);
      started = performance.now();
      await hand.start(repo);
      await hmrConnected(browser, `http://127.0.0.1:${hand.port}`);
      warm.hand.push(performance.now() - started);
      await hand.remove();
    }
    comparisons.push(
      compare(
        'Vite React preview with a warm npm cache (node_modules reinstalled), HTTP 200 + HMR connected',
        { label: 'berth team start', samples: warm.berth },
        { label: 'git clone + docker run, npm cache volume', samples: warm.hand },
        {
          at: [50],
          aim: {
            text: `berth p50 ≤ ${AIMS.warmMs / 1000} s`,
            test: (c) => c.berth.values[0]! <= AIMS.warmMs,
          },
        },
      ),
    );

    // 3. restart of an existing team: stop, start (nothing to install) against docker stop/start
    const restart = { berth: [] as number[], hand: [] as number[] };
    const hand = new ByHandPreview(join(dir, 'hand-restart'), await freePort(), cache);
    await hand.start(repo);
    for (let i = 0; i < RESTART_RUNS; i++) {
      signal.throwIfAborted();
      await teams.stop('warm');
      const started = performance.now();
      const report = await teams.start('warm');
      await hmrConnected(browser, readyUrl(report.previews));
      restart.berth.push(performance.now() - started);
      const handStarted = performance.now();
      await hand.restart();
      await hmrConnected(browser, `http://127.0.0.1:${hand.port}`);
      restart.hand.push(performance.now() - handStarted);
    }
    await hand.remove();
    comparisons.push(
      compare(
        'restart of an existing team (stop, start), HTTP 200 + HMR connected',
        { label: 'berth team stop + start', samples: restart.berth },
        { label: 'docker stop + docker start', samples: restart.hand },
        {
          at: [50],
          aim: {
            text: `berth p50 ≤ ${AIMS.restartMs / 1000} s`,
            test: (c) => c.berth.values[0]! <= AIMS.restartMs,
          },
        },
      ),
    );

    // 4. MCP write_file → the open page shows the change (HMR), against a plain write
    const status = await teams.status('warm');
    const workspace = status.workspace;
    const mode = status.previews[0]?.hotReload?.mode;
    if (mode !== 'inotify') throw new Error(`the canary chose ${mode} on a bind mount`);
    const page = await browser.newPage();
    await page.goto(readyUrl(status.previews));
    await page.waitForSelector('h1');
    const client = new Client({ name: 'bench', version: '1' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const server = createServer({ hub: berth.projects, logger: silentLogger(), teams });
    await server.connect(b);
    await client.connect(a);
    const viaMcp: number[] = [];
    const viaFs: number[] = [];
    for (let i = 0; i < HMR_EDITS; i++) {
      signal.throwIfAborted();
      // Vite's watcher re-arms after a file is replaced by a rename (write_file is atomic): an
      // in-place write within a few ms of one can go unseen, so edits are apart as a person's are
      await sleep(EDIT_GAP_MS);
      let text = `MCP edit ${i}`;
      const wrote = await client.callTool({
        name: 'write_file',
        arguments: { team: 'warm', path: 'src/App.jsx', content: appSource(text) },
      });
      if (wrote.isError) throw new Error(`write_file failed: ${JSON.stringify(wrote.content)}`);
      let t0 = performance.now();
      await shows(page, text);
      viaMcp.push(performance.now() - t0);
      text = `plain edit ${i}`;
      await sleep(EDIT_GAP_MS);
      writeFileSync(join(workspace, 'src', 'App.jsx'), appSource(text));
      t0 = performance.now();
      await shows(page, text);
      viaFs.push(performance.now() - t0);
    }
    await client.close();
    await page.close();
    comparisons.push(
      compare(
        'MCP write_file return → HMR update in the open page',
        { label: 'berth (MCP write_file, inotify)', samples: viaMcp },
        { label: 'fs.writeFile on the host, same preview', samples: viaFs },
        {
          aim: {
            text: `berth p50 ≤ ${AIMS.hmr[0]} ms, p95 ≤ ${AIMS.hmr[1]} ms`,
            test: (c) => c.berth.values[0]! <= AIMS.hmr[0]! && c.berth.values[1]! <= AIMS.hmr[1]!,
          },
        },
      ),
    );

    // 5. the polling fallback: the same edits with polling forced on
    const config = join(home, 'teams', 'warm', 'berth.team.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/polling: auto/, 'polling: always'));
    const repolled = await teams.restart('warm', 'web');
    if (repolled.hotReload?.mode !== 'polling')
      throw new Error(`polling: always did not take: ${JSON.stringify(repolled.hotReload)}`);
    const polled = await browser.newPage();
    await polled.goto(readyUrl((await teams.status('warm')).previews));
    await polled.waitForSelector('h1');
    const viaPolling: number[] = [];
    for (let i = 0; i < HMR_EDITS / 2; i++) {
      await sleep(EDIT_GAP_MS);
      const text = `polled edit ${i}`;
      writeFileSync(join(workspace, 'src', 'App.jsx'), appSource(text));
      const t0 = performance.now();
      await shows(polled, text);
      viaPolling.push(performance.now() - t0);
    }
    await polled.close();
    comparisons.push(
      absoluteRow('file write → HMR update with polling forced (fallback)', 'ms', viaPolling, [50, 95], {
        text: `p95 ≤ ${AIMS.pollingP95} ms`,
        limits: [Infinity, AIMS.pollingP95],
      }),
    );
    await teams.cleanup('warm', { purge: true, yes: true });

    // 6. detection over the fixtures
    const wrong: string[] = [];
    const times: number[] = [];
    for (const [fixture, expected] of Object.entries(EXPECTED)) {
      const t0 = performance.now();
      const found = detectApps(join(FIXTURES, fixture));
      times.push(performance.now() - t0);
      const got = Object.fromEntries(found.apps.map((a) => [a.root, a.framework]));
      if (JSON.stringify(sortKeys(got)) !== JSON.stringify(sortKeys(expected)))
        wrong.push(`${fixture}: got ${JSON.stringify(got)}`);
    }
    comparisons.push(
      absoluteRow(
        `detection of ${Object.keys(EXPECTED).length} fixtures (time per fixture)`,
        'ms',
        times,
        [50, 95],
        { text: 'every fixture right', limits: wrong.length === 0 ? [] : [-1] },
        { fixtures: Object.keys(EXPECTED).length, wrong: wrong.length },
      ),
    );
    notes.push(...wrong.map((w) => `detection wrong: ${w}`));
    notes.push(
      'npm caches are per team (a team\'s install scripts cannot reach another team\'s cache), so "warm" is a reinstall within one team.',
    );
  } finally {
    await browser.close().catch(() => undefined);
    for (const t of teams.list())
      await teams.cleanup(t.name, { purge: true, yes: true }).catch(() => undefined);
    await removeBaseline();
    await berth.close();
  }
  return {
    about: [
      'Vite React fixture from a local bare repository (file://), npm packages from the registry through the host CA bundle',
      'ready = HTTP below 500 and Vite\'s client logs "[vite] connected." in headless Chromium',
    ],
    comparisons,
    notes,
  };
}

function appSource(text: string): string {
  return `export default function App() {\n  return <h1>${text}</h1>;\n}\n`;
}

async function shows(page: Page, text: string): Promise<void> {
  await page.waitForFunction(`document.querySelector('h1')?.textContent === ${JSON.stringify(text)}`, null, {
    timeout: 30_000,
    polling: 'raf',
  });
}

function readyUrl(previews: { state: string; url: string; app: string }[]): string {
  const web = previews.find((p) => p.app === 'web');
  if (!web || web.state !== 'ready') throw new Error(`the preview is not ready: ${JSON.stringify(previews)}`);
  return web.url.replace('//localhost:', '//127.0.0.1:');
}

/** Opens the page and waits for Vite's client to connect its HMR socket. */
async function hmrConnected(browser: Browser, url: string): Promise<void> {
  await waitHttp(Number(new URL(url).port), 120_000);
  const page = await browser.newPage();
  try {
    const connected = page.waitForEvent('console', {
      predicate: (m) => m.text().includes('[vite] connected'),
      timeout: 60_000,
    });
    await page.goto(url);
    await connected;
  } finally {
    await page.close();
  }
}

/** The preview container goes, and its node_modules volume with it (the npm cache volume stays). */
async function dropNodeModules(runtime: ContainerRuntime, team: string): Promise<void> {
  for (const c of await runtime.containers.list({ 'berth.team': team, 'berth.role': 'preview' }))
    await runtime.containers.remove(c.id);
  for (const v of await runtime.volumes.list({ 'berth.team': team })) {
    if (/node.?modules/.test(v.name)) await runtime.volumes.remove(v.name);
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function sortKeys(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

function bareRepo(dir: string, fixture: string): string {
  const work = join(dir, 'upstream');
  cpSync(join(FIXTURES, fixture), work, { recursive: true });
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, stdio: 'ignore' });
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(work, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'fixture');
  git(dir, 'clone', '-q', '--bare', work, join(dir, 'repo.git'));
  return `file://${join(dir, 'repo.git')}`;
}
