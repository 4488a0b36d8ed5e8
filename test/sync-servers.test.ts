import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { upSyncedCliProject, type SyncedCliProject } from './helpers/synced-cli-project.js';
import { openTestSessions } from './helpers/test-sessions.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

/**
 * What runs beside a synced project keeps it in sync: the MCP server and the ops side-car,
 * without any tool call; and a session started from a synced project works on its folder.
 */
describe('servers keep synced projects in sync (real engine)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let inContainer: SyncedCliProject['inContainer'];
  const until = async (what: string, check: () => boolean, log: () => string) => {
    const deadline = Date.now() + 30_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen; server said: ${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const seenInContainer = (path: string, text: string) => () => {
    try {
      return inContainer(`cat /workspace/${path}`) === text;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    const p = await upSyncedCliProject({ env: { BERTH_OPS_TOKEN: 'a-token-of-sixteen-chars-or-more' } });
    ({ dir, env, inContainer } = p);
    expect(p.up.code, p.up.stderr).toBe(0);
  }, 240_000);
  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir, env, timeoutMs: 120_000 });
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  for (const [name, args] of [
    ['berth mcp (stdio)', ['mcp']],
    ['berth ops serve', ['ops', 'serve', '--socket', 'OPS_SOCKET']],
  ] as const) {
    it(`${name} carries changes both ways while it runs, with no tool call`, async () => {
      const argv = args.map((a) => (a === 'OPS_SOCKET' ? join(dir, 'ops.sock') : a));
      const child: ChildProcess = spawn(process.execPath, [BIN, ...argv], {
        cwd: dir,
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let log = '';
      child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      const tag = name.replace(/\W+/g, '-');
      try {
        writeFileSync(join(dir, 'app', `${tag}.txt`), `from the host, ${name}\n`);
        await until('host → container', seenInContainer(`${tag}.txt`, `from the host, ${name}\n`), () => log);
        inContainer(`echo back from the container > /workspace/${tag}-back.txt`);
        await until(
          'container → host',
          () => existsSync(join(dir, 'app', `${tag}-back.txt`)),
          () => log,
        );
        expect(readFileSync(join(dir, 'app', `${tag}-back.txt`), 'utf8')).toBe('back from the container\n');
      } finally {
        const exited = new Promise((r) => child.once('close', r));
        child.kill('SIGTERM');
        child.stdin!.end();
        await exited;
      }
    }, 120_000);
  }

  it('a session started from a synced project copies its folder and applies back to it', async () => {
    const { sessions, store } = openTestSessions(join(dir, 'session-home'));
    try {
      const session = await sessions.start({
        path: join(dir, 'app'),
        runtime: 'runc',
        image: 'berth-test/busybox',
      });
      expect(existsSync(join(dir, 'app/a.txt'))).toBe(true);
      await sessions.exec(session.id, ['sh', '-c', 'echo from a session > /workspace/session.txt']);
      await sessions.apply(session.id);
      expect(readFileSync(join(dir, 'app/session.txt'), 'utf8')).toBe('from a session\n');
      // and sync carries what the session applied to the volume
      const once = await runCli(['sync', '--once'], { cwd: dir, env, timeoutMs: 60_000 });
      expect(once.code, once.stderr).toBe(0);
      expect(inContainer('cat /workspace/session.txt')).toBe('from a session\n');
    } finally {
      store.close();
    }
  }, 180_000);
});
