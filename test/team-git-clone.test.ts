import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneTeamRepo } from '../src/team/git/clone-team-repo.js';
import { fetchTeamRepo } from '../src/team/git/fetch-team-repo.js';
import { mirrorDirOf } from '../src/team/git/team-repo-paths.js';
import {
  bareRepoFrom,
  freePort,
  startGitDaemon,
  startGitHttp,
  teamDir,
  testGit,
  type BareRepo,
  type GitDaemon,
  type GitHttp,
} from './helpers/git-daemon.js';
import { FIXTURES } from './helpers/test-hub.js';

const TOKEN = `tok-${process.pid}-s3cret`;
let repo: BareRepo;
let daemon: GitDaemon;
let http: GitHttp;
const dirs: string[] = [];

function team() {
  const t = teamDir();
  dirs.push(t.dir);
  return t;
}

/** Every file's bytes under a folder, for "the secret is nowhere" checks (test code, plain walk). */
function allText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}

beforeAll(async () => {
  repo = bareRepoFrom(join(FIXTURES, 'team', 'static'));
  daemon = await startGitDaemon(repo.base);
  http = await startGitHttp(repo.base, 'alice', TOKEN);
});

afterAll(async () => {
  await daemon?.stop();
  await http?.stop();
  repo?.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('cloneTeamRepo', () => {
  it.each([
    ['git daemon', () => daemon.url('app.git')],
    ['file://', () => `file://${repo.bare}`],
    ['a local path', () => repo.bare],
  ])(
    'clones over %s: work tree without .git, git folder outside, no hooks, owned by uid 1000',
    async (_, url) => {
      const t = team();
      const progress: string[] = [];
      const cloned = await cloneTeamRepo({ url: url(), paths: t, onProgress: (l) => progress.push(l) });
      expect(cloned.branch).toBe('main');
      expect(cloned.head).toBe(testGit(repo.upstream, 'rev-parse', 'origin/main').trim());
      expect(cloned.url).toBe(url());
      expect(readdirSync(t.workspace).sort()).toEqual(['index.html', 'style.css']);
      expect(existsSync(join(t.gitDir, 'HEAD'))).toBe(true);
      expect(existsSync(join(t.gitDir, 'hooks'))).toBe(false);
      expect(progress.some((l) => l.startsWith('Cloning into'))).toBe(true);
      if (process.getuid?.() === 0) {
        for (const p of [t.workspace, join(t.workspace, 'index.html'), t.gitDir, join(t.gitDir, 'config')])
          expect(statSync(p).uid, p).toBe(1000);
        // the local source was copied, not hard-linked: its own files keep their owner
        for (const e of readdirSync(join(repo.bare, 'objects'), { recursive: true, withFileTypes: true }))
          if (e.isFile()) expect(lstatSync(join(e.parentPath, e.name)).uid).toBe(0);
      }
    },
  );

  it('clones the branch asked for, and the default branch is the remote HEAD', async () => {
    const t = team();
    expect((await cloneTeamRepo({ url: daemon.url('app.git'), branch: 'other', paths: t })).branch).toBe(
      'other',
    );
    expect(readFileSync(join(t.gitDir, 'HEAD'), 'utf8').trim()).toBe('ref: refs/heads/other');
  });

  it('uses a token from the URL through askpass and stores it nowhere, nor shows it', async () => {
    const t = team();
    const progress: string[] = [];
    const before = http.authorized;
    const cloned = await cloneTeamRepo({
      url: http.url('app.git', `alice:${TOKEN}`),
      paths: t,
      onProgress: (l) => progress.push(l),
    });
    expect(http.authorized).toBeGreaterThan(before);
    expect(cloned.url).toBe(http.url('app.git'));
    expect(readFileSync(join(t.gitDir, 'config'), 'utf8')).toContain(`url = ${http.url('app.git')}`);
    expect(allText(t.gitDir)).not.toContain(TOKEN);
    expect(allText(t.workspace)).not.toContain(TOKEN);
    expect(progress.join('\n')).not.toContain(TOKEN);
    // a wrong token: refused by the server, the error names the URL without the secret
    const bad = team();
    const err = await cloneTeamRepo({ url: http.url('app.git', 'alice:wrong-sekrit'), paths: bad }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'GIT_FAILED' });
    expect(err.message).toContain(http.url('app.git'));
    expect(err.message).not.toContain('wrong-sekrit');
    expect(existsSync(bad.workspace) || existsSync(bad.gitDir)).toBe(false);
    // without a token: no prompt, a quick clear failure
    const none = team();
    const started = Date.now();
    await expect(cloneTeamRepo({ url: http.url('app.git'), paths: none })).rejects.toMatchObject({
      code: 'GIT_FAILED',
    });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('an unreachable URL fails in bounded time, says which and what git said, and leaves nothing', async () => {
    const t = team();
    const port = await freePort();
    const started = Date.now();
    const err = await cloneTeamRepo({ url: `git://127.0.0.1:${port}/app.git`, paths: t }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(err).toMatchObject({ code: 'GIT_FAILED' });
    expect(err.message).toMatch(
      new RegExp(
        `the git repository git://127.0.0.1:${port}/app.git cannot be reached: .*(refused|unable to connect)`,
        'i',
      ),
    );
    expect(existsSync(t.workspace) || existsSync(t.gitDir)).toBe(false);
    // a path that is not a repository
    await expect(cloneTeamRepo({ url: join(t.dir, 'nothing.git'), paths: t })).rejects.toThrow(
      /cannot be reached/,
    );
  });

  it('a branch that does not exist lists those that do, and nothing is made', async () => {
    const t = team();
    const err = await cloneTeamRepo({ url: daemon.url('app.git'), branch: 'nope', paths: t }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect(err.message).toMatch(/has no branch "nope"; its branches are: main, other/);
    expect(existsSync(t.workspace) || existsSync(t.gitDir)).toBe(false);
  });

  it('refuses a workspace that is not empty, and an option-like or ext:: URL, before git runs', async () => {
    const t = team();
    mkdirSync(t.workspace);
    writeFileSync(join(t.workspace, 'mine.txt'), 'keep me');
    await expect(cloneTeamRepo({ url: daemon.url('app.git'), paths: t })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      message: expect.stringMatching(/is not empty/),
    });
    expect(readdirSync(t.workspace)).toEqual(['mine.txt']);
    expect(existsSync(t.gitDir)).toBe(false);
    const marker = join(t.dir, 'pwned');
    for (const url of [`--upload-pack=touch ${marker}`, `ext::sh -c touch% ${marker}`]) {
      const u = team();
      await expect(cloneTeamRepo({ url, paths: u })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(existsSync(u.workspace) || existsSync(u.gitDir)).toBe(false);
    }
    expect(existsSync(marker)).toBe(false);
    // and git itself would refuse ext:: under berth's settings even if the check were gone
    const e = team();
    mkdirSync(e.dir, { recursive: true });
    expect(() =>
      execFileSync('git', ['-c', 'protocol.allow=never', 'ls-remote', `ext::sh -c touch% ${marker}`], {
        stdio: 'pipe',
        env: { ...process.env, GIT_ALLOW_PROTOCOL: 'https:http:ssh:git:file' },
      }),
    ).toThrow();
    expect(existsSync(marker)).toBe(false);
  });

  it('an empty workspace folder the caller made is used, and emptied again on failure', async () => {
    const t = team();
    mkdirSync(t.workspace);
    await expect(cloneTeamRepo({ url: daemon.url('app.git'), branch: 'nope', paths: t })).rejects.toThrow();
    expect(readdirSync(t.workspace)).toEqual([]);
    await cloneTeamRepo({ url: daemon.url('app.git'), paths: t });
    expect(readdirSync(t.workspace).sort()).toEqual(['index.html', 'style.css']);
  });
});

describe('fetchTeamRepo', () => {
  it('fetches into the host-only mirror, never the git folder a container writes, with a token given for this fetch and stored nowhere', async () => {
    const t = team();
    await cloneTeamRepo({ url: http.url('app.git', `alice:${TOKEN}`), paths: t });
    writeFileSync(join(repo.upstream, 'fetched.txt'), 'new upstream\n');
    testGit(repo.upstream, 'add', '-A');
    testGit(repo.upstream, 'commit', '-q', '-m', 'for the fetch');
    repo.push();
    const upstream = testGit(repo.upstream, 'rev-parse', 'HEAD').trim();
    // the stored URL has no secret: without one the server refuses, and git says so
    await expect(fetchTeamRepo({ paths: t })).rejects.toMatchObject({ code: 'GIT_FAILED' });
    const progress: string[] = [];
    await fetchTeamRepo({
      paths: t,
      credentialsUrl: http.url('app.git', `alice:${TOKEN}`),
      onProgress: (l) => progress.push(l),
    });
    const refIn = (dir: string) =>
      testGit(dir, `--git-dir=${dir}`, '-c', `safe.directory=${dir}`, 'rev-parse', 'origin/main').trim();
    const mirror = mirrorDirOf(t);
    expect(refIn(mirror)).toBe(upstream);
    // host git did not touch the git folder (the work-tree container takes the refs from the mirror)
    expect(refIn(t.gitDir)).not.toBe(upstream);
    // the work tree is untouched by the host fetch
    expect(existsSync(join(t.workspace, 'fetched.txt'))).toBe(false);
    expect(allText(t.gitDir)).not.toContain(TOKEN);
    expect(allText(mirror)).not.toContain(TOKEN);
    expect(progress.join('\n')).not.toContain(TOKEN);
    // the mirror stays the host's: no container user owns it
    expect(statSync(mirror).uid).toBe(process.getuid?.());
  });
});
