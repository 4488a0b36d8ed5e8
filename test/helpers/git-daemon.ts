import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_DIR_PREFIX } from './sweep.js';

/** git for the tests' own setup (making fixture repositories), isolated from the user's config. */
export function testGit(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'upstream',
      GIT_AUTHOR_EMAIL: 'upstream@example.test',
      GIT_COMMITTER_NAME: 'upstream',
      GIT_COMMITTER_EMAIL: 'upstream@example.test',
    },
  });
}

export interface BareRepo {
  /** The folder holding the bare repository (git daemon's base path). */
  base: string;
  /** `<base>/<name>.git` */
  bare: string;
  name: string;
  /** A clone of it to make upstream commits in (push them with `push()`). */
  upstream: string;
  push(): void;
  remove(): void;
}

/** A bare repository made from a fixture folder (one commit on `main`, plus a branch `other`). */
export function bareRepoFrom(fixture: string, name = 'app'): BareRepo {
  const base = mkdtempSync(join(tmpdir(), TEST_DIR_PREFIX));
  const upstream = join(base, 'upstream');
  const bare = join(base, `${name}.git`);
  cpSync(fixture, upstream, { recursive: true });
  testGit(upstream, 'init', '-q', '-b', 'main');
  testGit(upstream, 'add', '-A');
  testGit(upstream, 'commit', '-q', '-m', 'first');
  testGit(upstream, 'branch', 'other');
  testGit(base, 'clone', '-q', '--bare', upstream, bare);
  testGit(upstream, 'remote', 'add', 'origin', bare);
  testGit(upstream, 'fetch', '-q', 'origin');
  testGit(upstream, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
  return {
    base,
    bare,
    name,
    upstream,
    push: () => void testGit(upstream, 'push', '-q', 'origin', 'main'),
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface GitDaemon {
  port: number;
  url(name: string): string;
  stop(): Promise<void>;
}

function gitDaemonInstalled(): boolean {
  try {
    execFileSync('git', ['daemon', '--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `git daemon` serving every repository under `base` on 127.0.0.1; stopped by its pid. */
export async function startGitDaemon(base: string): Promise<GitDaemon> {
  if (!gitDaemonInstalled())
    throw new Error(
      'git daemon is not installed (Debian ships it in the git package: /usr/lib/git-core/git-daemon)',
    );
  const port = await freePort();
  const child = spawn(
    'git',
    [
      'daemon',
      '--export-all',
      `--base-path=${base}`,
      `--port=${port}`,
      '--listen=127.0.0.1',
      '--reuseaddr',
      base,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: base } },
  );
  let log = '';
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  await waitForPort(port, child, () => log);
  return {
    port,
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    stop: () => stopChild(child),
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`git daemon exited: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`git daemon did not listen on ${port} within 10 s: ${log()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid!, 'SIGTERM');
  });
}

export interface GitHttp {
  port: number;
  /** Requests that came with the right credentials, and without or with wrong ones. */
  authorized: number;
  refused: number;
  url(name: string, userinfo?: string): string;
  stop(): Promise<void>;
}

/**
 * Smart HTTP over `git http-backend` (CGI) behind a Node server that demands Basic auth with
 * `user:password`, so a clone that gets through proves the credentials were sent.
 */
export async function startGitHttp(base: string, user: string, password: string): Promise<GitHttp> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const state = { authorized: 0, refused: 0 };
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      state.refused++;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="berth-test"' });
      res.end('authentication required\n');
      return;
    }
    state.authorized++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: base,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }
          : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const k = line.slice(0, colon).trim();
        const v = line.slice(colon + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else res.setHeader(k, v);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    get authorized() {
      return state.authorized;
    },
    get refused() {
      return state.refused;
    },
    url: (name, userinfo) => `http://${userinfo ? `${userinfo}@` : ''}127.0.0.1:${port}/${name}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A folder for one test's team (`<dir>/workspace`, `<dir>/git`). */
export function teamDir(): { dir: string; workspace: string; gitDir: string } {
  const dir = mkdtempSync(join(tmpdir(), TEST_DIR_PREFIX));
  mkdirSync(dir, { recursive: true });
  return { dir, workspace: join(dir, 'workspace'), gitDir: join(dir, 'git') };
}
