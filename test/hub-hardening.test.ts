import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stopReport } from '../src/exec/stop-report.js';
import { openBerth } from '../src/app/open-berth.js';
import { silentLogger } from '../src/logger.js';
import { dockerHostStrategy } from '../src/runtime/docker/engine-discovery.js';
import { runCli } from './helpers/run-cli.js';
import { makeGitProject } from './helpers/git-project.js';
import { busybox, createTestHub, makeTempDir } from './helpers/test-hub.js';
import { openTestSessions } from './helpers/test-sessions.js';

/** A local TCP port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a timed-out command says whether its kill was carried out', () => {
  it('when the kill cannot reach the engine, it says so (exit 125), and the process does live on', async () => {
    await using t = createTestHub({ projects: { app: busybox('./app') } });
    await t.hub.up();
    // the same hub, but its engine does not answer: the command still runs through the runner
    await using berth = openBerth({
      engine: [dockerHostStrategy({ DOCKER_HOST: 'unix:///nonexistent/berth-test/docker.sock' })],
      store: t.store,
      logger: silentLogger(),
      config: t.config,
      home: t.home,
      env: {},
    });
    const blind = berth.hub;
    const r = await blind.exec('app', ['sleep', '307'], { timeoutMs: 800 });
    expect(r).toMatchObject({ timedOut: true, killFailed: true });
    const report = stopReport(r, { timeoutMs: 800 });
    expect(report.exitCode).toBe(125);
    expect(report.message).toMatch(/^berth: timed out after 800 ms, but the kill could not be carried out/);
    expect(report.message).not.toMatch(/was killed/);
    // the report is true: the command was not killed
    const ps = await t.hub.exec('app', ['ps', '-o', 'args']);
    expect(ps.stdout).toMatch(/sleep 307/);

    const clean = await t.hub.exec('app', ['sleep', '308'], { timeoutMs: 800 });
    expect(clean.timedOut).toBe(true);
    expect(clean.killFailed).toBeUndefined();
    expect(stopReport(clean, { timeoutMs: 800 })).toEqual({
      exitCode: 124,
      message: 'berth: timed out after 800 ms; the process tree was killed',
    });
    expect(stopReport({ ...clean, timedOut: false }, { interrupted: true })).toEqual({ exitCode: 130 });
    expect(stopReport({ exitCode: 3, timedOut: false }, {})).toEqual({ exitCode: 3 });
    // no timeout given: the one the run had, the default, is named (never "0 ms")
    expect(stopReport({ exitCode: 137, timedOut: true }, {}).message).toBe(
      'berth: timed out after 600000 ms; the process tree was killed',
    );
  });

  it('berth exec: a clean timeout exits 124 and says the process tree was killed', async () => {
    await using t = createTestHub({ projects: { app: busybox('./app') } });
    await t.hub.up();
    const r = await runCli(['exec', 'app', '--timeout', '600', '--', 'sleep', '309'], {
      cwd: t.dir,
      env: { BERTH_HOME: t.home, DOCKER_HOST: '' },
    });
    expect(r.code, r.stderr).toBe(124);
    expect(r.stderr).toContain('berth: timed out after 600 ms; the process tree was killed');
  }, 120_000);
});

describe('an explicit DOCKER_HOST that does not answer is an error for berth exec too', () => {
  it('a closed TCP port or a missing socket fails the command; nothing runs through the runner', async () => {
    await using t = createTestHub({ projects: { app: busybox('./app') } });
    await t.hub.up();
    const exec = (env: Record<string, string>) =>
      runCli(['exec', 'app', '--', '/bin/sh', '-c', 'echo ran; touch ran.txt'], {
        cwd: t.dir,
        env: { BERTH_HOME: t.home, ...env },
      });
    // the runner path works without naming an engine, and with one that answers
    expect((await exec({ DOCKER_HOST: '' })).stdout).toBe('ran\n');
    expect((await exec({ DOCKER_HOST: 'unix:///var/run/docker.sock' })).stdout).toBe('ran\n');

    const port = await closedPort();
    for (const host of [`tcp://127.0.0.1:${port}`, 'unix:///nonexistent/berth-test/docker.sock']) {
      writeFileSync(join(t.dir, 'app', 'ran.txt'), 'before\n');
      const r = await exec({ DOCKER_HOST: host });
      expect(r.code, host).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('No container engine is reachable');
      expect(r.stderr).toContain(`DOCKER_HOST=${host}`);
      expect(readFileSync(join(t.dir, 'app', 'ran.txt'), 'utf8')).toBe('before\n');
    }
  }, 180_000);
});

describe('an explicit DOCKER_HOST that does not answer is an error for berth session exec too', () => {
  it('the session runner does not take the call', async () => {
    const dir = makeTempDir();
    const home = join(dir, 'home');
    mkdirSync(join(dir, 'project'));
    makeGitProject(join(dir, 'project'));
    const { sessions, store } = openTestSessions(home);
    const s = await sessions.start({
      path: join(dir, 'project'),
      runtime: 'runc',
      image: 'berth-test/busybox',
    });
    try {
      const exec = (DOCKER_HOST: string) =>
        runCli(['session', 'exec', s.id, '--', '/bin/sh', '-c', 'echo ran; touch ran.txt'], {
          cwd: dir,
          env: { BERTH_HOME: home, DOCKER_HOST },
        });
      expect((await exec('')).stdout).toBe('ran\n');
      const r = await exec(`tcp://127.0.0.1:${await closedPort()}`);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('No container engine is reachable');
      expect((await sessions.log(s.id)).length).toBe(2);
    } finally {
      await sessions.discard(s.id);
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('berth up notices a project folder that was moved away and recreated', () => {
  it('recreates the container, which then sees the new folder', async () => {
    await using t = createTestHub({ projects: { app: busybox('./app') } });
    const [first] = await t.hub.up();
    expect(first!.action).toBe('created');
    expect((await t.hub.up())[0]!.action).toBe('unchanged');

    const folder = join(t.dir, 'app');
    renameSync(folder, join(t.dir, 'app-moved'));
    mkdirSync(folder);
    writeFileSync(join(folder, 'fresh.txt'), 'in the new folder\n');
    const [again] = await t.hub.up();
    expect(again!.action).toBe('recreated');
    expect(again!.containerId).not.toBe(first!.containerId);
    const r = await t.hub.exec('app', ['cat', 'fresh.txt']);
    expect(r.stdout).toBe('in the new folder\n');
    expect((await t.hub.up())[0]!.action).toBe('unchanged');
  });
});
