import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  readdirSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBerth, type Berth } from '../src/app/open-berth.js';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/logger.js';
import { LABEL } from '../src/runtime/labels.js';
import { createServer } from '../src/mcp/server.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { makeTempDir } from './helpers/test-hub.js';
import { stringify } from 'yaml';

/** A hub whose projects have `workspace: sync`, over the real engine. */
interface SyncedHub {
  dir: string;
  berth: Berth;
  folder(project: string): string;
  /** Runs a shell command in the project container (busybox sh), returns stdout. */
  sh(project: string, script: string): Promise<string>;
  close(): Promise<void>;
}

async function syncedHub(
  projects: Record<string, { image: string; extra?: Record<string, unknown> }>,
): Promise<SyncedHub> {
  const dir = makeTempDir();
  const home = join(dir, 'home');
  const raw: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(projects)) {
    mkdirSync(join(dir, name));
    raw[name] = {
      path: name,
      image: p.image,
      workspace: 'sync',
      resources: { cpus: 0.5, memory: '128m', pids: 128 },
      ...(p.extra ?? {}),
    };
  }
  writeFileSync(join(dir, 'berth.yaml'), stringify({ version: 1, projects: raw }));
  const config = loadConfig({ cwd: dir, file: 'berth.yaml' });
  const berth = openBerth({ config, home, logger: silentLogger() });
  return {
    dir,
    berth,
    folder: (project) => join(dir, project),
    sh: async (project, script) => {
      const r = await berth.hub.exec(project, ['sh', '-c', script]);
      if (r.exitCode !== 0) throw new Error(`sh in ${project} exited ${r.exitCode}: ${script}: ${r.stderr}`);
      return r.stdout;
    },
    close: async () => {
      try {
        await berth.hub.down([], { volumes: true });
      } finally {
        await berth.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('a project with workspace: sync (real engine)', () => {
  let h: SyncedHub;
  beforeAll(async () => {
    h = await syncedHub({
      app: { image: 'berth-test/busybox', extra: { commands: { test: 'test -f /workspace/src/main.txt' } } },
      deb: { image: 'berth-test/debian:bookworm' },
    });
    for (const p of ['app', 'deb']) {
      mkdirSync(join(h.folder(p), 'src'), { recursive: true });
      writeFileSync(join(h.folder(p), 'src/main.txt'), `hello from ${p}\n`);
      writeFileSync(join(h.folder(p), 'run.sh'), '#!/bin/sh\necho ran\n');
      chmodSync(join(h.folder(p), 'run.sh'), 0o755);
      mkdirSync(join(h.folder(p), 'empty dir'));
      symlinkSync('src/main.txt', join(h.folder(p), 'main-link'));
      // names with a newline, spaces and bytes that are not UTF-8
      mkdirSync(join(h.folder(p), 'odd'));
      writeFileSync(join(h.folder(p), 'odd', 'line\nbreak'), 'newline\n');
      writeFileSync(join(h.folder(p), 'odd', 'with spaces.txt'), 'spaces\n');
      writeFileSync(
        Buffer.concat([Buffer.from(join(h.folder(p), 'odd') + '/'), Buffer.from([0x6c, 0xe9, 0xff])]),
        'latin\n',
      );
    }
    const lines: string[] = [];
    await h.berth.hub.up([], (_p, l) => void lines.push(l));
    expect(lines.some((l) => l.includes('first sync'))).toBe(true);
  }, 240_000);
  afterAll(async () => h?.close(), 120_000);

  it('mounts a volume, never the folder, and up carried the files across (busybox and Debian)', async () => {
    for (const p of ['app', 'deb']) {
      // the engine's own account of the containers' mounts: the workspace is the volume, and
      // no container of the unit has the folder (or anything in it) bind-mounted
      for (const role of ['project', 'sync']) {
        const [c] = await h.berth.runtime.containers.list({
          // this hub's own: other tests run side-cars for projects named `app` too
          [LABEL.hub]: h.berth.config.hubId,
          [LABEL.role]: role,
          [LABEL.project]: p,
        });
        const mounts = JSON.parse(
          execFileSync('docker', ['inspect', '-f', '{{json .Mounts}}', c!.id], { encoding: 'utf8' }),
        ) as {
          Type: string;
          Source: string;
          Destination: string;
          Name?: string;
        }[];
        const workspace = mounts.find((m) => m.Destination === '/workspace');
        expect(workspace?.Type).toBe('volume');
        expect(workspace?.Name).toMatch(/-sync-workspace$/);
        for (const m of mounts) expect(m.Source.startsWith(h.folder(p))).toBe(false);
      }
      expect(await h.sh(p, 'cat /workspace/src/main.txt')).toBe(`hello from ${p}\n`);
      expect(await h.sh(p, 'ls -l /workspace/run.sh')).toMatch(/^-rwxr-xr-x/);
      expect(await h.sh(p, 'readlink /workspace/main-link')).toBe('src/main.txt\n');
      expect(await h.sh(p, 'test -d "/workspace/empty dir" && echo yes')).toBe('yes\n');
      // three names, byte for byte (the non-UTF-8 one through od)
      expect(await h.sh(p, 'for f in /workspace/odd/*; do echo x; done | wc -l')).toMatch(/^\s*3\n$/);
      expect(await h.sh(p, 'cat /workspace/odd/* | sort')).toBe('latin\nnewline\nspaces\n');
      expect(await h.sh(p, "printf '%s' /workspace/odd/l* | od -An -tx1 | tr -d ' \\n'")).toContain('6ce9ff');
    }
    // tests run in the container, on the volume
    const report = await h.berth.hub.test(['app']);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it('carries edits both ways, and files in the volume belong to the folder owner', async () => {
    const sync = await h.berth.sync();
    await h.sh(
      'app',
      'echo agent > /workspace/src/agent.txt && rm /workspace/run.sh && mkdir -p /workspace/new/deep',
    );
    writeFileSync(join(h.folder('app'), 'src/host.txt'), 'host\n');
    const report = await sync.barrier('app');
    expect(report.conflicts).toEqual([]);
    expect(readFileSync(join(h.folder('app'), 'src/agent.txt'), 'utf8')).toBe('agent\n');
    expect(existsSync(join(h.folder('app'), 'run.sh'))).toBe(false);
    expect(statSync(join(h.folder('app'), 'new/deep')).isDirectory()).toBe(true);
    expect(await h.sh('app', 'cat /workspace/src/host.txt')).toBe('host\n');
    const owner = statSync(h.folder('app'));
    expect(await h.sh('app', 'stat -c %u:%g /workspace/src/host.txt')).toBe(`${owner.uid}:${owner.gid}\n`);
  });

  it('a 200 MB file goes both ways, byte for byte', async () => {
    const sync = await h.berth.sync();
    const big = Buffer.alloc(200 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    writeFileSync(join(h.folder('app'), 'big.bin'), big);
    await sync.barrier('app');
    expect(await h.sh('app', 'sha256sum /workspace/big.bin | cut -c1-64')).toBe(`${sha(big)}\n`);
    await h.sh('app', 'head -c 1000 /dev/urandom >> /workspace/big.bin');
    await sync.barrier('app');
    const back = readFileSync(join(h.folder('app'), 'big.bin'));
    expect(back.length).toBe(big.length + 1000);
    expect(`${sha(back)}\n`).toBe(await h.sh('app', 'sha256sum /workspace/big.bin | cut -c1-64'));
    rmSync(join(h.folder('app'), 'big.bin'));
    await sync.barrier('app');
  }, 180_000);

  it('over MCP: write_file returns once the container has it; a conflict keeps both; sync_resolve brings one back', async () => {
    const sync = await h.berth.sync();
    const server = createServer({ hub: h.berth.hub, logger: silentLogger(), sync });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(b);
    const call = async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as CallToolResult & {
        structuredContent?: Record<string, unknown>;
      };
    try {
      const written = await call('write_file', {
        project: 'app',
        path: 'src/from-mcp.txt',
        content: 'via mcp\n',
      });
      expect(written.isError).toBeFalsy();
      expect(written.structuredContent?.sync).toEqual({ state: 'synced' });
      expect(await h.sh('app', 'cat /workspace/src/from-mcp.txt')).toBe('via mcp\n');
      // both sides change the same file
      writeFileSync(join(h.folder('app'), 'src/main.txt'), 'host version\n');
      await h.sh('app', 'echo agent version > /workspace/src/main.txt');
      const barrier = await call('sync_from_local', { project: 'app' });
      const result = barrier.structuredContent as { conflicts: { path: string; kept_as: string }[] };
      expect(result.conflicts).toHaveLength(1);
      expect(result.conflicts[0]!.path).toBe('src/main.txt');
      const copy = result.conflicts[0]!.kept_as;
      expect(copy).toMatch(/^src\/main\.txt\.berth-conflict-local-\d{8}T\d{6}Z$/);
      expect(readFileSync(join(h.folder('app'), 'src/main.txt'), 'utf8')).toBe('agent version\n');
      expect(readFileSync(join(h.folder('app'), copy), 'utf8')).toBe('host version\n');
      expect(await h.sh('app', `cat /workspace/${copy}`)).toBe('host version\n');
      const status = await call('sync_status', { project: 'app' });
      const s = (status.structuredContent as { projects: { state: string; conflicts: unknown[] }[] })
        .projects[0]!;
      expect(s.state).toBe('conflicts');
      expect(s.conflicts).toHaveLength(1);
      const resolved = await call('sync_resolve', { project: 'app', path: 'src/main.txt', keep: 'local' });
      expect(resolved.isError).toBeFalsy();
      expect(readFileSync(join(h.folder('app'), 'src/main.txt'), 'utf8')).toBe('host version\n');
      expect(await h.sh('app', 'cat /workspace/src/main.txt')).toBe('host version\n');
      expect(existsSync(join(h.folder('app'), copy))).toBe(false);
      // the agent's version was not thrown away: it is in the container side's attic
      expect(await h.sh('app', 'grep -rl "agent version" /workspace/.berth-sync/attic | wc -l')).not.toBe(
        '0\n',
      );
      const bad = await call('sync_resolve', { project: 'app', path: 'src/none.txt', keep: 'local' });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toContain('no open conflict');
      const notSynced = await call('sync_status', { project: 'nope' });
      expect(notSynced.isError).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
  }, 120_000);

  it('rm -rf of the workspace in the container halts, the host keeps every file; --allow-deletes carries it, into the attic', async () => {
    const sync = await h.berth.sync();
    const before = readdirSync(h.folder('app'))
      .filter((n) => n !== '.berth-sync')
      .sort();
    expect(before.length).toBeGreaterThan(2);
    await h.sh('app', 'rm -rf /workspace/*');
    const halted = await sync.barrier('app');
    expect(halted.halt?.reason).toBe('root-emptied');
    expect(halted.halt?.side).toBe('container');
    expect(
      readdirSync(h.folder('app'))
        .filter((n) => n !== '.berth-sync')
        .sort(),
    ).toEqual(before);
    expect(sync.status('app').state).toBe('halted');
    const meant = await sync.barrier('app', { allowDeletes: true });
    expect(meant.halt).toBeUndefined();
    expect(readdirSync(h.folder('app')).filter((n) => n !== '.berth-sync')).toEqual([]);
    // what was deleted on the host is in its attic, byte for byte
    const attic = readFileSync(join(h.folder('app'), '.berth-sync/attic/index.jsonl'), 'utf8');
    expect(attic).toContain(Buffer.from('src/host.txt').toString('latin1'));
    expect(sync.status('app').state).not.toBe('halted');
  }, 120_000);

  it('a recreated volume is a first sync: the host files stay, nothing is deleted', async () => {
    const sync = await h.berth.sync();
    await sync.close();
    await h.berth.hub.down(['deb'], { volumes: true });
    writeFileSync(join(h.folder('deb'), 'src/only-host.txt'), 'kept\n');
    await h.berth.hub.up(['deb']);
    expect(readFileSync(join(h.folder('deb'), 'src/main.txt'), 'utf8')).toBe('hello from deb\n');
    expect(await h.sh('deb', 'cat /workspace/src/only-host.txt')).toBe('kept\n');
    const status = (await h.berth.sync()).status('deb');
    expect(status.state).toBe('in-sync');
  }, 120_000);
});
