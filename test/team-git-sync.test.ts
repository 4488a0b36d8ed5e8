import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { cloneTeamRepo } from '../src/team/git/clone-team-repo.js';
import { syncTeamRepo } from '../src/team/git/sync-team-repo.js';
import { uncommittedWork } from '../src/team/git/uncommitted-work.js';
import { withWorkTreeGit } from '../src/team/git/work-tree-git.js';
import {
  bareRepoFrom,
  startGitDaemon,
  teamDir,
  testGit,
  type BareRepo,
  type GitDaemon,
} from './helpers/git-daemon.js';
import { FIXTURES } from './helpers/test-hub.js';

const runtime = new DockerRuntime(silentLogger());
const run = randomBytes(4).toString('hex');
const labels = { 'berth.hub': `test-teamgit-${run}`, 'berth.role': 'sync', 'berth.project': 'team' };
const namePrefix = `berth-test-teamgit-${run}`;
const dirs: string[] = [];
let daemon: GitDaemon;
const repos: BareRepo[] = [];

function fixtureRepo(): BareRepo {
  const r = bareRepoFrom(join(FIXTURES, 'team', 'static'));
  repos.push(r);
  return r;
}

async function clonedTeam(repo: BareRepo) {
  const t = teamDir();
  dirs.push(t.dir);
  await cloneTeamRepo({ url: `file://${repo.bare}`, paths: t });
  return t;
}

function upstreamCommit(repo: BareRepo, file: string, text: string): string {
  writeFileSync(join(repo.upstream, file), text);
  testGit(repo.upstream, 'add', '-A');
  testGit(repo.upstream, 'commit', '-q', '-m', `upstream edits ${file}`);
  repo.push();
  return testGit(repo.upstream, 'rev-parse', 'HEAD').trim();
}

/** Writes as a container would (the work tree belongs to uid 1000). */
function containerWrite(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o666);
}

function gitIn(t: { gitDir: string; workspace: string }, ...args: string[]): string {
  return testGit(t.gitDir, `--git-dir=${t.gitDir}`, '-c', `safe.directory=${t.gitDir}`, ...args);
}

beforeAll(async () => {
  daemon = await startGitDaemon(join(FIXTURES, 'team'));
});

afterAll(async () => {
  await daemon?.stop();
  for (const c of await runtime.containers.list(labels)) await runtime.containers.remove(c.id);
  for (const r of repos) r.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('syncTeamRepo', () => {
  it('an upstream commit and a local edit: both are there after the sync, the local one committed first', async () => {
    const repo = fixtureRepo();
    const t = await clonedTeam(repo);
    const before = gitIn(t, 'rev-parse', 'HEAD').trim();
    const upstream = upstreamCommit(repo, 'style.css', 'body { color: red }\n');
    containerWrite(join(t.workspace, 'index.html'), '<h1>local</h1>\n');
    containerWrite(join(t.workspace, 'new.txt'), 'added here\n');
    const progress: string[] = [];
    const report = await syncTeamRepo({
      runtime,
      paths: t,
      branch: 'main',
      labels,
      namePrefix,
      onProgress: (l) => progress.push(l),
    });
    expect(report).toMatchObject({ upToDate: false, merged: true, conflicts: [], before, head: upstream });
    expect(report.localCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(join(t.workspace, 'style.css'), 'utf8')).toBe('body { color: red }\n');
    expect(readFileSync(join(t.workspace, 'index.html'), 'utf8')).toBe('<h1>local</h1>\n');
    expect(readFileSync(join(t.workspace, 'new.txt'), 'utf8')).toBe('added here\n');
    expect(gitIn(t, 'rev-parse', 'HEAD').trim()).toBe(report.after);
    expect(gitIn(t, 'log', '--format=%an %s', '-3')).toMatch(/berth berth sync: merge origin\/main/);
    expect(gitIn(t, 'merge-base', '--is-ancestor', report.localCommit!, 'HEAD')).toBe('');
    expect(await runtime.containers.list(labels)).toEqual([]);
    // nothing new: up to date, nothing committed
    const again = await syncTeamRepo({ runtime, paths: t, branch: 'main', labels, namePrefix });
    expect(again).toMatchObject({ upToDate: true, merged: false, conflicts: [], after: report.after });
    expect(again.localCommit).toBeUndefined();
    expect(await uncommittedWork({ runtime, paths: t, branch: 'main', labels, namePrefix })).toEqual({
      changed: [],
      unpushed: expect.arrayContaining([expect.stringMatching(/berth sync: local changes/)]),
    });
  });

  it('a conflict is reported with the file; the local version stays, no markers, origin reachable, same again', async () => {
    const repo = fixtureRepo();
    const t = await clonedTeam(repo);
    const upstream = upstreamCommit(repo, 'index.html', '<h1>upstream</h1>\n');
    containerWrite(join(t.workspace, 'index.html'), '<h1>local</h1>\n');
    const first = await syncTeamRepo({ runtime, paths: t, branch: 'main', labels, namePrefix });
    expect(first).toMatchObject({
      upToDate: false,
      merged: false,
      conflicts: ['index.html'],
      head: upstream,
    });
    expect(first.sides).toEqual({ local: first.localCommit, upstream });
    expect(first.after).toBe(first.localCommit);
    expect(readFileSync(join(t.workspace, 'index.html'), 'utf8')).toBe('<h1>local</h1>\n');
    for (const name of readdirSync(t.workspace))
      expect(readFileSync(join(t.workspace, name), 'utf8')).not.toMatch(/^(<<<<<<<|>>>>>>>|=======)/m);
    expect(existsSync(join(t.gitDir, 'MERGE_HEAD'))).toBe(false);
    expect(gitIn(t, 'rev-parse', 'refs/remotes/origin/main').trim()).toBe(upstream);
    const second = await syncTeamRepo({ runtime, paths: t, branch: 'main', labels, namePrefix });
    expect(second).toMatchObject({ conflicts: ['index.html'], after: first.after, before: first.after });
    expect(second.localCommit).toBeUndefined();
    expect(await uncommittedWork({ runtime, paths: t, branch: 'main', labels, namePrefix })).toMatchObject({
      changed: [],
    });
  });

  it('a .git planted in the work tree (fsmonitor, post-merge hook) fires nothing and is not copied; the sync works', async () => {
    const repo = fixtureRepo();
    const t = await clonedTeam(repo);
    const marker = `/tmp/berth-test-pwned-${run}`;
    const planted = join(t.workspace, '.git');
    mkdirSync(join(planted, 'hooks'), { recursive: true });
    writeFileSync(
      join(planted, 'config'),
      `[core]\n\tfsmonitor = "touch ${marker}-fsmonitor pwned-fsmonitor"\n\thooksPath = .git/hooks\n[alias]\n\tmerge = !touch ${marker}-alias\n`,
    );
    writeFileSync(join(planted, 'HEAD'), 'ref: refs/heads/main\n');
    mkdirSync(join(planted, 'refs'));
    mkdirSync(join(planted, 'objects'));
    for (const hook of ['post-merge', 'pre-commit', 'post-commit', 'post-checkout'])
      writeFileSync(join(planted, 'hooks', hook), `#!/bin/sh\ntouch ${marker}-${hook} pwned-${hook}\n`, {
        mode: 0o777,
      });
    const gitConfigBefore = readFileSync(join(t.gitDir, 'config'), 'utf8');
    upstreamCommit(repo, 'style.css', 'p { margin: 0 }\n');
    containerWrite(join(t.workspace, 'index.html'), '<h1>local</h1>\n');
    const report = await syncTeamRepo({ runtime, paths: t, branch: 'main', labels, namePrefix });
    expect(report).toMatchObject({ merged: true, conflicts: [] });
    expect(readFileSync(join(t.workspace, 'style.css'), 'utf8')).toBe('p { margin: 0 }\n');
    // on the host, and in the workspace (what the container could have touched)
    const fired = readdirSync('/tmp').filter((n) => n.startsWith(`berth-test-pwned-${run}`));
    expect(fired).toEqual([]);
    expect(readdirSync(t.workspace).filter((n) => n.includes('pwned'))).toEqual([]);
    expect(readFileSync(join(t.gitDir, 'config'), 'utf8')).toBe(gitConfigBefore);
    expect(existsSync(join(t.gitDir, 'hooks'))).toBe(false);
    // the planted .git was not committed either
    expect(gitIn(t, 'ls-tree', '-r', '--name-only', 'HEAD')).not.toMatch(/(^|\/)\.git\//m);
    const work = await uncommittedWork({ runtime, paths: t, branch: 'main', labels, namePrefix });
    expect(work.changed).toEqual([]);
    expect(readdirSync('/tmp').filter((n) => n.startsWith(`berth-test-pwned-${run}`))).toEqual([]);
    // the plant is live: plain git discovering it from the work tree runs its fsmonitor
    execFileSync('git', ['-c', 'safe.directory=*', 'status'], {
      cwd: t.workspace,
      stdio: 'ignore',
      env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
    });
    expect(existsSync(`${marker}-fsmonitor`)).toBe(true);
    rmSync(`${marker}-fsmonitor`);
  });

  it('uncommittedWork lists changed and untracked paths and commits origin lacks, changing nothing', async () => {
    const repo = fixtureRepo();
    const t = await clonedTeam(repo);
    expect(await uncommittedWork({ runtime, paths: t, branch: 'main', labels, namePrefix })).toEqual({
      changed: [],
      unpushed: [],
    });
    containerWrite(join(t.workspace, 'index.html'), 'changed\n');
    mkdirSync(join(t.workspace, 'src'));
    containerWrite(join(t.workspace, 'src', 'new file.txt'), 'untracked\n');
    const head = gitIn(t, 'rev-parse', 'HEAD');
    const work = await uncommittedWork({ runtime, paths: t, branch: 'main', labels, namePrefix });
    expect(work.changed.sort()).toEqual(['index.html', 'src/new file.txt']);
    expect(work.unpushed).toEqual([]);
    expect(gitIn(t, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('syncs a team cloned over git daemon (the fetch uses the URL the clone stored)', async () => {
    const repo = fixtureRepo();
    const own = await startGitDaemon(repo.base);
    try {
      const t = teamDir();
      dirs.push(t.dir);
      await cloneTeamRepo({ url: own.url('app.git'), paths: t });
      const upstream = upstreamCommit(repo, 'style.css', 'a { color: blue }\n');
      const progress: string[] = [];
      const report = await syncTeamRepo({
        runtime,
        paths: t,
        branch: 'main',
        labels,
        namePrefix,
        onProgress: (l) => progress.push(l),
      });
      expect(report).toMatchObject({ merged: true, head: upstream, after: upstream, conflicts: [] });
      expect(progress.some((l) => l.includes('origin/main'))).toBe(true);
    } finally {
      await own.stop();
    }
  });
});

describe('the work-tree git container', () => {
  it('names the git folder (/git) explicitly and cannot change the config host git reads', async () => {
    const repo = fixtureRepo();
    const t = await clonedTeam(repo);
    const before = readFileSync(join(t.gitDir, 'config'), 'utf8');
    await withWorkTreeGit({ runtime, paths: t, labels, namePrefix }, async (git) => {
      const set = await git.run(['config', 'core.fsmonitor', 'touch /tmp/x']);
      expect(set.code).not.toBe(0);
      expect(set.stderr).toMatch(/could not lock config file|Read-only file system|Device or resource busy/i);
      expect((await git.check(['rev-parse', '--git-dir'], 'test')).trim()).toBe('/git');
      // it is labelled as the caller asked while it runs, and gone after
      expect(await runtime.containers.list(labels)).toHaveLength(1);
    });
    expect(readFileSync(join(t.gitDir, 'config'), 'utf8')).toBe(before);
    expect(await runtime.containers.list(labels)).toEqual([]);
  });
});
