import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { TEST_DIR_PREFIX } from './helpers/sweep.js';
import { teamResources } from './helpers/team-resources.js';
import { git, upstreamRepo } from './helpers/team-repo.js';

/**
 * `berth team` through the real CLI: bad input that changes nothing, `team sync` with upstream
 * and local changes, cleanup by label, export. Previews here are static sites (no npm install),
 * so the file stays quick; team-browser.test.ts covers the frameworks.
 */
const home = mkdtempSync(join(tmpdir(), `${TEST_DIR_PREFIX}team-cli-`));
const cwd = mkdtempSync(join(tmpdir(), `${TEST_DIR_PREFIX}team-cwd-`));

function cli(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 240_000) {
  return runCli(args, { cwd, env: { BERTH_HOME: home, ...extraEnv }, timeoutMs });
}

async function teamNames(): Promise<string[]> {
  const r = await cli(['team', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { team: string }[]).map((t) => t.team);
}

afterAll(async () => {
  for (const team of await teamNames().catch(() => []))
    await cli(['team', 'cleanup', team, '--purge', '--yes']).catch(() => undefined);
});

describe('berth team: bad input changes nothing', () => {
  it('an unreachable git URL fails clearly and leaves no team behind', async () => {
    const r = await cli(['team', 'start', 'gone', 'git://127.0.0.1:9/nothing.git']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:9/);
    expect(await teamNames()).not.toContain('gone');
    expect(existsSync(join(home, 'teams', 'gone'))).toBe(false);
  });

  it('a branch that does not exist is named, with the branches that do', async () => {
    const repo = upstreamRepo('static');
    const r = await cli(['team', 'start', 'nobranch', repo.url, '--branch', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope/);
    expect(r.stderr).toMatch(/main/);
    expect(await teamNames()).not.toContain('nobranch');
  });

  it('a repository with no detectable app says what it looked for, and the team is not kept', async () => {
    const repo = upstreamRepo('unknown');
    const r = await cli(['team', 'start', 'noapp', repo.url, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no detectable app: looked for .*package\.json.*manage\.py.*index\.html/);
    expect(JSON.parse(r.stdout).error.code).toBe('NO_APP');
    expect(await teamNames()).not.toContain('noapp');
  });

  it('a bad team name, and a name that exists with another repository, are refused', async () => {
    const bad = await cli(['team', 'start', 'Bad_Name', 'file:///x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a team name/);

    const repo = upstreamRepo('static');
    const first = await cli(['team', 'start', 'taken', repo.url, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const other = upstreamRepo('static');
    const again = await cli(['team', 'start', 'taken', other.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/team 'taken' exists already, made from/);
    await cli(['team', 'cleanup', 'taken', '--purge', '--yes']);
  });

  it('an exhausted port pool is reported with the range, and no preview is made', async () => {
    // one port in the pool, held by someone else
    const holder: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)),
    );
    try {
      const repo = upstreamRepo('static');
      const r = await cli(['team', 'start', 'full', repo.url], { BERTH_PREVIEW_PORTS: `${port}-${port}` });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`${port}`));
      expect(r.stderr).toMatch(/port/);
      expect((await teamResources('full')).containers).toBe(0);
    } finally {
      holder.close();
      await cli(['team', 'cleanup', 'full', '--purge', '--yes']);
    }
  });
});

describe('berth team: start, sync, export, cleanup', () => {
  it('sync merges an upstream commit with a local edit; a conflicting edit is reported and nothing is lost', async () => {
    const repo = upstreamRepo('static');
    const started = await cli(['team', 'start', 'docs', repo.url, '--json']);
    expect(started.code, started.stderr).toBe(0);
    const report = JSON.parse(started.stdout) as {
      workspace: string;
      previews: { state: string; url: string }[];
    };
    expect(report.previews[0]?.state).toBe('ready');
    const ws = report.workspace;

    // upstream changes style.css; locally, index.html is edited (as an agent would)
    writeFileSync(join(repo.work, 'style.css'), 'body { color: teal; }\n');
    git(repo.work, 'commit', '-qam', 'upstream: teal');
    git(repo.work, 'push', '-q', 'origin', 'main');
    const local = readFileSync(join(ws, 'index.html'), 'utf8').replace('Hello', 'Hello, local');
    writeFileSync(join(ws, 'index.html'), local);

    const synced = await cli(['team', 'sync', 'docs', '--json']);
    expect(synced.code, synced.stderr).toBe(0);
    const merged = JSON.parse(synced.stdout) as {
      conflicts: string[];
      localCommit?: string;
      merged: boolean;
    };
    expect(merged.conflicts).toEqual([]);
    expect(merged.localCommit).toBeTruthy();
    expect(readFileSync(join(ws, 'style.css'), 'utf8')).toBe('body { color: teal; }\n');
    expect(readFileSync(join(ws, 'index.html'), 'utf8')).toBe(local);

    // now both sides change the same line
    const upstreamText = readFileSync(join(repo.work, 'index.html'), 'utf8').replace(
      'Hello',
      'Hello, upstream',
    );
    writeFileSync(join(repo.work, 'index.html'), upstreamText);
    git(repo.work, 'commit', '-qam', 'upstream: hello');
    git(repo.work, 'push', '-q', 'origin', 'main');
    const mine = local.replace('Hello, local', 'Hello, mine');
    writeFileSync(join(ws, 'index.html'), mine);

    const conflicted = await cli(['team', 'sync', 'docs', '--json']);
    expect(conflicted.code).toBe(1);
    const c = JSON.parse(conflicted.stdout) as { conflicts: string[] };
    expect(c.conflicts).toEqual(['index.html']);
    // the work tree is the local state, with no conflict markers; the local edit is kept
    const after = readFileSync(join(ws, 'index.html'), 'utf8');
    expect(after).toBe(mine);
    expect(after).not.toMatch(/<<<<<<<|>>>>>>>/);
    // the same again: nothing was left half-done
    const twice = await cli(['team', 'sync', 'docs', '--json']);
    expect(JSON.parse(twice.stdout).conflicts).toEqual(['index.html']);
    expect(readFileSync(join(ws, 'index.html'), 'utf8')).toBe(mine);

    // export: a compose file with the preview
    const exported = await cli(['team', 'export', 'docs']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/services:/);
    expect(exported.stdout).toMatch(/127\.0\.0\.1:\d+:\d+/);

    // purge without --yes says what would be lost and removes nothing
    const refused = await cli(['team', 'cleanup', 'docs', '--purge']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/would lose/);
    expect(refused.stderr).toMatch(/commit/);
    expect(existsSync(ws)).toBe(true);
    expect((await teamResources('docs')).containers).toBeGreaterThan(0);

    const cleaned = await cli(['team', 'cleanup', 'docs', '--purge', '--yes', '--json']);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await teamResources('docs')).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(existsSync(ws)).toBe(false);
    expect(await teamNames()).not.toContain('docs');
  }, 400_000);
});
