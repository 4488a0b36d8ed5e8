import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTeams } from '../src/app/open-teams.js';
import { silentLogger } from '../src/logger.js';
import { runCli } from './helpers/run-cli.js';
import { sshEngineOrSkip } from './helpers/ssh-engine.js';
import { TEST_DIR_PREFIX } from './helpers/sweep.js';
import { teamResources } from './helpers/team-resources.js';
import { git, upstreamRepo } from './helpers/team-repo.js';

/**
 * A team whose berth.team.yaml says `workspace: sync`: its previews mount a volume of the
 * team's, kept in two-way sync with the host clone by berth's sync service (a side-car on the
 * volume), never the host folder. Static sites, so no npm install.
 */
const home = mkdtempSync(join(tmpdir(), `${TEST_DIR_PREFIX}team-syncws-`));
const cwd = mkdtempSync(join(tmpdir(), `${TEST_DIR_PREFIX}team-syncws-cwd-`));
const docker = new Docker();
// teamResources counts by the team label across homes: a name no other run uses
const team = `syncws-${randomBytes(3).toString('hex')}`;

function cli(args: string[], timeoutMs = 240_000, env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { cwd, env: { ...env, BERTH_HOME: home }, timeoutMs });
}

afterAll(async () => {
  const r = await cli(['team', 'list', '--json']).catch(() => undefined);
  const names = r?.code === 0 ? (JSON.parse(r.stdout) as { team: string }[]).map((t) => t.team) : [];
  for (const team of names) await cli(['team', 'cleanup', team, '--purge', '--yes']).catch(() => undefined);
}, 300_000);

async function served(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return res.text();
}

/** A sync barrier from another berth process, as a server's running sync would make it. */
async function barrier(name = team, env?: NodeJS.ProcessEnv): Promise<void> {
  const teams = openTeams({ home, logger: silentLogger(), ...(env ? { env } : {}) });
  try {
    const sync = await teams.teams.syncService();
    const report = await sync.barrier(name);
    expect(report.halt).toBeUndefined();
  } finally {
    await teams.close();
  }
}

describe('berth team with workspace: sync', () => {
  it('previews mount the synced volume, serve the clone, follow host edits, team sync and cleanup', async () => {
    const repo = upstreamRepo('static');
    const started = await cli(['team', 'start', team, repo.url, '--workspace', 'sync', '--json']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/first sync of the work tree and its volume/);
    const report = JSON.parse(started.stdout) as {
      workspace: string;
      configFile: string;
      previews: { state: string; url: string; containerId: string }[];
    };
    expect(readFileSync(report.configFile, 'utf8')).toMatch(/^workspace: sync$/m);
    const preview = report.previews[0]!;
    expect(preview.state).toBe('ready');
    const ws = report.workspace;

    // no bind mount of the work tree: /workspace is the team's volume
    const info = await docker.getContainer(preview.containerId).inspect();
    const mounts = info.Mounts as { Type: string; Source: string; Destination: string; Name?: string }[];
    expect(mounts.filter((m) => m.Type === 'bind' && m.Source.startsWith(ws))).toEqual([]);
    const root = mounts.find((m) => m.Destination === '/workspace');
    expect(root?.Type).toBe('volume');
    expect(root?.Name).toMatch(new RegExp(`^berth-team-${team}-.*-workspace$`));

    // the preview serves the clone
    expect(await served(preview.url)).toMatch(/Hello from the static fixture/);

    // a host edit, then a sync barrier: served
    const edited = readFileSync(join(ws, 'index.html'), 'utf8').replace('Hello', 'Hello, synced');
    writeFileSync(join(ws, 'index.html'), edited);
    await barrier();
    expect(await served(preview.url)).toMatch(/Hello, synced from the static fixture/);

    // status says what the workspace is and how its sync stands
    const status = await cli(['team', 'status', team, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as {
      workspaceKind: string;
      sync: { state: string; sidecar: string; conflicts: unknown[] };
    };
    expect(s.workspaceKind).toBe('sync');
    expect(s.sync).toMatchObject({ state: 'in-sync', sidecar: 'running', conflicts: [] });

    // an upstream commit: team sync merges it on the host, and the volume follows
    writeFileSync(join(repo.work, 'style.css'), 'body { color: teal; }\n');
    git(repo.work, 'commit', '-qam', 'upstream: teal');
    git(repo.work, 'push', '-q', 'origin', 'main');
    const synced = await cli(['team', 'sync', team, '--json']);
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout)).toMatchObject({ conflicts: [] });
    expect(readFileSync(join(ws, 'style.css'), 'utf8')).toBe('body { color: teal; }\n');
    expect(await served(new URL('style.css', preview.url).href)).toBe('body { color: teal; }\n');
    // the local edit was committed on the host and is still served
    expect(await served(preview.url)).toMatch(/Hello, synced/);

    // a file the container writes into the volume reaches the work tree when the team stops
    const exec = await docker.getContainer(preview.containerId).exec({
      Cmd: ['sh', '-c', 'echo from the container > /workspace/made-inside.txt'],
      User: '1000:1000',
    });
    await new Promise<void>((resolve, reject) =>
      exec.start({}, (err, stream) => {
        if (err || !stream) return reject(err ?? new Error('no exec stream'));
        stream.on('end', () => resolve());
        stream.resume();
      }),
    );
    const stopped = await cli(['team', 'stop', team, '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(readFileSync(join(ws, 'made-inside.txt'), 'utf8')).toBe('from the container\n');
    // stop keeps the volume
    expect((await teamResources(team, docker)).volumes).toBeGreaterThanOrEqual(1);

    // cleanup: nothing labelled for the team is left, the work tree is
    const cleaned = await cli(['team', 'cleanup', team, '--json']);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await teamResources(team, docker)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(existsSync(join(ws, 'index.html'))).toBe(true);
  }, 300_000);
});

// The local engine reached as a remote one (DOCKER_HOST=ssh://root@127.0.0.1:PORT, the loopback
// sshd of scripts/ssh-loopback.sh): berth cannot bind-mount there, so a team with no
// `workspace:` in its config is synced by default.
const ssh = sshEngineOrSkip();
if (ssh.engine) {
  const env = ssh.engine.env;
  const remote = `syncssh-${randomBytes(3).toString('hex')}`;
  describe('berth team over an ssh:// engine', () => {
    it('is synced by default; the preview serves the clone and a host edit after a barrier; cleanup leaves nothing', async () => {
      const repo = upstreamRepo('static');
      const started = await cli(['team', 'start', remote, repo.url, '--json'], 240_000, env);
      expect(started.code, started.stderr).toBe(0);
      expect(started.stderr).toMatch(/cannot bind-mount this machine's folders/);
      const report = JSON.parse(started.stdout) as {
        workspace: string;
        configFile: string;
        previews: { state: string; url: string; containerId: string }[];
      };
      // the choice is the engine's, not written into the config
      expect(readFileSync(report.configFile, 'utf8')).not.toMatch(/^workspace:/m);
      const preview = report.previews[0]!;
      expect(preview.state).toBe('ready');
      const info = await docker.getContainer(preview.containerId).inspect();
      const mounts = info.Mounts as { Type: string; Destination: string }[];
      expect(mounts.filter((m) => m.Type === 'bind')).toEqual([]);
      expect(await served(preview.url)).toMatch(/Hello from the static fixture/);

      const ws = report.workspace;
      writeFileSync(
        join(ws, 'index.html'),
        readFileSync(join(ws, 'index.html'), 'utf8').replace('Hello', 'Hi'),
      );
      await barrier(remote, env);
      expect(await served(preview.url)).toMatch(/Hi from the static fixture/);

      const status = await cli(['team', 'status', remote, '--json'], 60_000, env);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ workspaceKind: 'sync', sync: { state: 'in-sync' } });

      // git in the work tree needs an engine that sees it: refused clearly, nothing changed
      const gitSync = await cli(['team', 'sync', remote], 60_000, env);
      expect(gitSync.code).toBe(1);
      expect(gitSync.stderr).toMatch(/remote engine cannot see/);

      const cleaned = await cli(['team', 'cleanup', remote, '--json'], 120_000, env);
      expect(cleaned.code, cleaned.stderr).toBe(0);
      expect(await teamResources(remote, docker)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    }, 300_000);
  });
} else {
  describe.skip(`berth team over an ssh:// engine (${ssh.skip})`, () => undefined);
}
