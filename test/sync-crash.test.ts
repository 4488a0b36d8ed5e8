import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBerth, type Berth } from '../src/app/open-berth.js';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/logger.js';
import { LABEL } from '../src/runtime/labels.js';
import { makeTempDir } from './helpers/test-hub.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every file of the host folder (outside .berth-sync) → its sha256, for comparing with the volume. */
function hostDigests(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (rel === '' && e.name === '.berth-sync') continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(dir, e.name), path);
      else if (e.isFile()) out.set(path, sha(readFileSync(join(dir, e.name))));
    }
  };
  walk(root, '');
  return out;
}

describe('sync after a crash (real engine)', () => {
  let dir: string;
  let home: string;
  let folder: string;
  let berth: Berth;
  const containerDigests = async (): Promise<Map<string, string>> => {
    const r = await berth.hub.exec('app', [
      'sh',
      '-c',
      'cd /workspace && find . -path ./.berth-sync -prune -o -type f -print0 | xargs -0 -r sha256sum',
    ]);
    const out = new Map<string, string>();
    for (const line of r.stdout.split('\n').filter(Boolean))
      out.set(line.slice(66).replace(/^\.\//, ''), line.slice(0, 64));
    return out;
  };
  /** Files present in the volume are whole: each one's bytes are the host's (nothing half-written). */
  const expectNoPartialFile = async () => {
    const host = hostDigests(folder);
    for (const [path, digest] of await containerDigests())
      expect([path, digest]).toEqual([path, host.get(path)]);
  };
  const expectConverged = async () => {
    expect(Object.fromEntries(await containerDigests())).toEqual(Object.fromEntries(hostDigests(folder)));
  };

  beforeAll(async () => {
    dir = makeTempDir();
    home = join(dir, 'home');
    folder = join(dir, 'app');
    mkdirSync(folder);
    writeFileSync(join(folder, 'seed.txt'), 'seed\n');
    writeFileSync(
      join(dir, 'berth.yaml'),
      stringify({
        version: 1,
        projects: {
          app: {
            path: 'app',
            image: 'berth-test/busybox',
            workspace: 'sync',
            resources: { cpus: 0.5, memory: '128m' },
          },
        },
      }),
    );
    berth = openBerth({ config: loadConfig({ cwd: dir, file: 'berth.yaml' }), home, logger: silentLogger() });
    await berth.hub.up();
  }, 240_000);
  afterAll(async () => {
    await berth?.hub.down([], { volumes: true });
    await berth?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('the hub killed (SIGKILL) mid-cycle: no partial file, no lost version, and the next run converges', async () => {
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(folder, `d${d}`));
      for (let f = 0; f < 100; f++) writeFileSync(join(folder, `d${d}`, `f${f}`), `${d}/${f} `.repeat(200));
    }
    const big = Buffer.alloc(120 * 1024 * 1024, 7);
    writeFileSync(join(folder, 'big.bin'), big);
    const child = spawn(process.execPath, [BIN, '-f', join(dir, 'berth.yaml'), 'sync', '--once', 'app'], {
      env: { ...process.env, BERTH_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        seen += c.toString();
        // the transfer is under way: kill it in the middle
        if (seen.includes('change(s) for the container'))
          setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 300);
      });
      child.once('exit', (code) =>
        reject(new Error(`sync ended (${code}) before it could be killed: ${seen}`)),
      );
    });
    await new Promise((r) => child.once('close', r));
    await expectNoPartialFile();
    // the lock of the killed process is stale; the next run takes it over and finishes
    const report = await (await berth.sync()).barrier('app');
    expect(report.conflicts).toEqual([]);
    await expectConverged();
  }, 240_000);

  it('the agent killed mid-cycle, and the side-car stopped: the cycle fails clearly, and sync converges after', async () => {
    const sync = await berth.sync();
    writeFileSync(join(folder, 'big.bin'), Buffer.alloc(150 * 1024 * 1024, 9));
    for (let f = 0; f < 200; f++) writeFileSync(join(folder, `d0/g${f}`), `g${f}`);
    const [sidecar] = await berth.runtime.containers.list({
      [LABEL.hub]: berth.config.hubId,
      [LABEL.role]: 'sync',
      [LABEL.project]: 'app',
    });
    const barrier = sync.barrier('app').then(
      () => 'done',
      (err: Error) => err.message,
    );
    await new Promise((r) => setTimeout(r, 400));
    // every `serve` process of the side-car (the agent behind the stream), killed outright
    execFileSync('docker', [
      'exec',
      sidecar!.id,
      '/berth/node',
      '-e',
      `for (const p of require('fs').readdirSync('/proc')) { if (!/^\\d+$/.test(p)) continue;
         const cmd = require('fs').readFileSync('/proc/' + p + '/cmdline', 'utf8');
         if (cmd.includes('main.js\\u0000serve') && Number(p) !== process.pid) process.kill(Number(p), 'SIGKILL'); }`,
    ]);
    const outcome = await barrier;
    // either the reconnect finished the job, or the error says the agent went away
    if (outcome !== 'done') expect(outcome).toMatch(/agent|stream|closed/i);
    await expectNoPartialFile();
    await sync.barrier('app');
    await expectConverged();
    // the side-car stopped: a clear error; up starts it again and sync goes on
    writeFileSync(join(folder, 'after-stop.txt'), 'after the stop\n');
    execFileSync('docker', ['stop', '-t', '1', sidecar!.id]);
    await expect(sync.barrier('app')).rejects.toThrow(/side-car|agent|not running/i);
    await berth.hub.up(['app']);
    await sync.barrier('app');
    await expectConverged();
  }, 240_000);
});
