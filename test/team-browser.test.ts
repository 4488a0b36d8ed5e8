import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './helpers/browser.js';
import { connectStdio, type McpSession } from './helpers/mcp-connect.js';
import { runCli } from './helpers/run-cli.js';
import { TEST_DIR_PREFIX } from './helpers/sweep.js';
import { teamResources } from './helpers/team-resources.js';
import { upstreamRepo } from './helpers/team-repo.js';

/**
 * Team workspaces end to end, as a user meets them: `berth team start` from a git URL, the
 * preview opened in a real headless Chromium, and an agent's MCP write_file showing up in the
 * open page (Vite's HMR, no reload) or on the next request (Flask's reloader, a static site).
 */
const CA = '/etc/ssl/certs/ca-certificates.crt';
const home = mkdtempSync(join(tmpdir(), `${TEST_DIR_PREFIX}team-home-`));
const cwd = mkdtempSync(join(tmpdir(), `${TEST_DIR_PREFIX}team-cwd-`));
const env = { BERTH_HOME: home, BERTH_CA_BUNDLE: CA };
let browser: Browser;
let mcp: McpSession;

interface Preview {
  app: string;
  state: string;
  url: string;
  port: number;
  hotReload?: { mode: string };
}

async function cli(args: string[], timeoutMs = 300_000) {
  return runCli(args, { cwd, env, timeoutMs });
}

async function start(team: string, url: string): Promise<Preview[]> {
  const r = await cli(['team', 'start', team, url, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { previews: Preview[] }).previews;
}

beforeAll(async () => {
  browser = await launchBrowser();
  // the MCP server needs a config to start; this one names a project it never brings up
  writeFileSync(
    join(cwd, 'berth.yaml'),
    `version: 1\nprojects:\n  idle:\n    path: .\n    image: berth-test/busybox\n`,
  );
  mcp = await connectStdio(join(cwd, 'berth.yaml'), home);
});

afterAll(async () => {
  await mcp?.[Symbol.asyncDispose]();
  await browser?.close();
  for (const team of ['vite', 'flask', 'site'])
    await cli(['team', 'cleanup', team, '--purge', '--yes']).catch(() => undefined);
});

describe('team workspaces in a real browser', () => {
  it('Vite React from a git URL: the page is served, and an MCP write_file reaches the open page through HMR without a reload', async () => {
    const repo = upstreamRepo('vite-react');
    const [web] = await start('vite', repo.url);
    expect(web).toMatchObject({ app: 'web', state: 'ready' });
    expect(web!.url).toBe(`http://localhost:${web!.port}/`);

    const page = await browser.newPage();
    await page.goto(web!.url);
    await page.waitForSelector('h1');
    expect(await page.textContent('h1')).toBe('Hello from the Vite React fixture');
    // a reload would lose this; HMR keeps it
    await page.evaluate('window.berthMark = 42');

    const listed = await mcp.call('preview_list', { team: 'vite' });
    expect(listed.isError).toBeFalsy();
    expect((listed.structuredContent as { previews: Preview[] }).previews[0]).toMatchObject({
      app: 'web',
      state: 'ready',
      url: web!.url,
    });

    const wrote = await mcp.call('write_file', {
      team: 'vite',
      path: 'src/App.jsx',
      content: 'export default function App() {\n  return <h1>Changed by the agent</h1>;\n}\n',
    });
    expect(wrote.isError, JSON.stringify(wrote.content)).toBeFalsy();
    const t0 = Date.now();
    await page.waitForFunction("document.querySelector('h1')?.textContent === 'Changed by the agent'", null, {
      timeout: 20_000,
    });
    const hmrMs = Date.now() - t0;
    expect(await page.evaluate('window.berthMark')).toBe(42);
    console.log(`vite: write_file -> HMR update in the page: ${hmrMs} ms`);

    const logs = await mcp.call('preview_logs', { team: 'vite', app: 'web', lines: 50 });
    expect(logs.isError).toBeFalsy();
    expect((logs.structuredContent as { log: string }).log).toMatch(/vite|VITE|ready/i);
    await page.close();

    // stop keeps everything; a second start comes back on the same port without an install
    expect((await cli(['team', 'stop', 'vite'])).code).toBe(0);
    const t1 = Date.now();
    const again = await cli(['team', 'start', 'vite', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const restarted = (JSON.parse(again.stdout) as { previews: Preview[] }).previews[0]!;
    expect(restarted).toMatchObject({ state: 'ready', port: web!.port });
    console.log(`vite: restart of the existing team: ${Date.now() - t1} ms`);
    expect(again.stderr).not.toMatch(/npm (ci|install)/);

    const status = await cli(['team', 'status', 'vite', '--json']);
    expect(JSON.parse(status.stdout).previews[0]).toMatchObject({ app: 'web', state: 'ready' });

    const cleaned = await cli(['team', 'cleanup', 'vite', '--json']);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await teamResources('vite')).toEqual({ containers: 0, networks: 0, volumes: 0 });
  }, 600_000);

  it('Flask: an MCP edit of the app is served after the reloader restarts it', async () => {
    const repo = upstreamRepo('flask');
    const [api] = await start('flask', repo.url);
    expect(api).toMatchObject({ state: 'ready' });
    const page = await browser.newPage();
    await page.goto(api!.url);
    expect(await page.textContent('body')).toContain('Hello from the Flask fixture');
    const edit = await mcp.call('edit_file', {
      team: 'flask',
      path: 'app.py',
      edits: [{ old_text: 'Hello from the Flask fixture', new_text: 'Flask reloaded the change' }],
    });
    expect(edit.isError, JSON.stringify(edit.content)).toBeFalsy();
    await expect
      .poll(
        async () => {
          const r = await page.goto(api!.url).catch(() => null);
          return r && r.status() < 500 ? await page.textContent('body') : '';
        },
        { timeout: 30_000, interval: 500 },
      )
      .toContain('Flask reloaded the change');

    // an agent restarts the preview: same port, serving again when the call returns
    const restarted = await mcp.call('preview_restart', { team: 'flask', app: api!.app });
    expect(restarted.isError, JSON.stringify(restarted.content)).toBeFalsy();
    expect((restarted.structuredContent as { preview: Preview }).preview).toMatchObject({
      state: 'ready',
      port: api!.port,
    });
    await page.goto(api!.url);
    expect(await page.textContent('body')).toContain('Flask reloaded the change');
    const wrong = await mcp.call('preview_restart', { team: 'flask', app: 'nope' });
    expect(wrong.isError).toBe(true);
    expect(JSON.stringify(wrong.content)).toMatch(/has no app 'nope'/);
    await page.close();
  }, 300_000);

  it('a static site: the page and its change on the next load', async () => {
    const repo = upstreamRepo('static');
    const [site] = await start('site', repo.url);
    expect(site).toMatchObject({ state: 'ready' });
    const page = await browser.newPage();
    await page.goto(site!.url);
    const before = await page.textContent('body');
    expect(before?.length).toBeGreaterThan(0);
    const edit = await mcp.call('edit_file', {
      team: 'site',
      path: 'index.html',
      edits: [{ old_text: '<body>', new_text: '<body>\n    <p id="berth">static change</p>' }],
    });
    expect(edit.isError, JSON.stringify(edit.content)).toBeFalsy();
    await page.reload();
    expect(await page.textContent('#berth')).toBe('static change');
    await page.close();

    // the team's workspace is container-writable: a planted link out of it is not followed
    const status = JSON.parse((await cli(['team', 'status', 'site', '--json'])).stdout) as {
      workspace: string;
    };
    symlinkSync('/etc', join(status.workspace, 'escape'));
    const out = await mcp.call('read_file', { team: 'site', path: 'escape/hostname' });
    expect(out.isError).toBe(true);
    const unknown = await mcp.call('read_file', { team: 'nope', path: 'index.html' });
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).toMatch(/no team 'nope'/i);
  }, 300_000);
});
