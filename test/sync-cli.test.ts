import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upSyncedCliProject, type SyncedCliProject } from './helpers/synced-cli-project.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

describe('berth sync (the CLI, real engine)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cli: SyncedCliProject['cli'];
  let inContainer: SyncedCliProject['inContainer'];

  beforeAll(async () => {
    const p = await upSyncedCliProject({
      extraProjects: { plain: { path: 'plain', image: 'berth-test/busybox', resources: { memory: '64m' } } },
      upArgs: ['app'],
    });
    ({ dir, env, cli, inContainer } = p);
    expect(p.up.code, p.up.stderr).toBe(0);
    expect(p.up.stderr).toContain('first sync');
    expect(p.container).not.toBe('');
  }, 240_000);
  afterAll(async () => {
    await cli('down', '--volumes');
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('--once syncs and exits 0; with a conflict it exits 1 and status says so; resolve ends it', async () => {
    inContainer('echo from-container > /workspace/b.txt');
    const once = await cli('sync', '--once');
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toMatch(/app: 0 to the container, 1 to the host/);
    expect(readFileSync(join(dir, 'app/b.txt'), 'utf8')).toBe('from-container\n');
    writeFileSync(join(dir, 'app/a.txt'), 'host\n');
    inContainer('echo container > /workspace/a.txt');
    const conflicted = await cli('sync', '--once', 'app');
    expect(conflicted.code).toBe(1);
    expect(conflicted.stderr).toContain('conflicts or a halt remain in: app');
    const status = await cli('sync', 'status', '--json');
    const [s] = JSON.parse(status.stdout) as { state: string; conflicts: { path: string; copy: string }[] }[];
    expect(s!.state).toBe('conflicts');
    expect(s!.conflicts[0]!.path).toBe('a.txt');
    const copy = s!.conflicts[0]!.copy;
    expect(readFileSync(join(dir, 'app', copy), 'utf8')).toBe('host\n');
    // bad input changes nothing
    const badKeep = await cli('sync', 'resolve', 'app', 'a.txt', '--keep', 'mine');
    expect(badKeep.code).not.toBe(0);
    expect(badKeep.stderr).toContain('--keep mine: use local, container or both');
    const badPath = await cli('sync', 'resolve', 'app', '../a.txt', '--keep', 'local');
    expect(badPath.stderr).toContain('give a path inside the project');
    const noConflict = await cli('sync', 'resolve', 'app', 'b.txt', '--keep', 'local');
    expect(noConflict.code).not.toBe(0);
    expect(noConflict.stderr).toContain('no open conflict at "b.txt"; open conflicts: "a.txt"');
    expect(existsSync(join(dir, 'app', copy))).toBe(true);
    const resolved = await cli('sync', 'resolve', 'app', 'a.txt', '--keep', 'container', '--json');
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(existsSync(join(dir, 'app', copy))).toBe(false);
    expect(inContainer(`test -e /workspace/${copy} && echo present || echo gone`)).toBe('gone\n');
    expect(readFileSync(join(dir, 'app/a.txt'), 'utf8')).toBe('container\n');
    const after = JSON.parse((await cli('sync', 'status', '--json')).stdout) as { state: string }[];
    expect(after[0]!.state).toBe('in-sync');
  }, 180_000);

  it('without --once it keeps syncing until Ctrl-C, both ways', async () => {
    const child = spawn(process.execPath, [BIN, 'sync', 'app'], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('close', r));
    const until = async (what: string, check: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until('the start', () => stderr.includes('Ctrl-C'));
      writeFileSync(join(dir, 'app/live.txt'), 'live from the host\n');
      await until('host → container', () => {
        try {
          return inContainer('cat /workspace/live.txt') === 'live from the host\n';
        } catch {
          return false;
        }
      });
      inContainer('echo live from the container > /workspace/live2.txt');
      await until('container → host', () => existsSync(join(dir, 'app/live2.txt')));
      expect(readFileSync(join(dir, 'app/live2.txt'), 'utf8')).toBe('live from the container\n');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('names a project that is not synced, or unknown, and does nothing', async () => {
    const plain = await cli('sync', '--once', 'plain');
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('project "plain" is bind-mounted (workspace: bind)');
    const unknown = await cli('sync', 'status', 'nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown project "nope"');
  });
});
