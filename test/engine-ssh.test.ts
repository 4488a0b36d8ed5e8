import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Berth, openBerth } from '../src/app/open-berth.js';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/logger.js';
import type { ContainerRuntime } from '../src/runtime/container-runtime.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { hardenedSpec } from '../src/runtime/hardened-spec.js';
import { containerRuntimeContract } from './contract/container-runtime.contract.js';
import { sshEngineOrSkip, type SshEngine } from './helpers/ssh-engine.js';
import { busybox, makeTempDir } from './helpers/test-hub.js';

// The local engine reached as a remote one (DOCKER_HOST=ssh://root@127.0.0.1:2222, through the
// loopback sshd of scripts/ssh-loopback.sh): berth's runtime, made by its composition root,
// must do everything it does over a socket, and say clearly why when the ssh end fails.
const ssh = sshEngineOrSkip();
const IMAGE = 'berth-test/busybox';
const opened: Berth[] = [];
const dirs: string[] = [];

/** A berth over the ssh engine, in a temp folder with one busybox project. */
function sshBerth(engine: SshEngine): Berth {
  const dir = makeTempDir();
  dirs.push(dir);
  mkdirSync(join(dir, 'box'));
  writeFileSync(
    join(dir, 'berth.yaml'),
    stringify({
      version: 1,
      projects: { box: busybox('./box', { workspace: 'sync' }), bound: busybox('./box') },
    }),
  );
  const berth = openBerth({
    config: loadConfig({ cwd: dir, file: 'berth.yaml' }),
    home: join(dir, '.berth-home'),
    env: engine.env,
    logger: silentLogger(),
  });
  opened.push(berth);
  return berth;
}

afterAll(async () => {
  for (const berth of opened) await berth.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

if (ssh.engine) {
  const engine = ssh.engine;
  containerRuntimeContract('docker over ssh', () => sshBerth(engine).runtime, IMAGE);
} else {
  describe.skip(`ContainerRuntime contract: docker over ssh (${ssh.skip})`, () => undefined);
}

describe.skipIf(ssh.skip !== undefined)('an engine reached over ssh', () => {
  const engine = ssh.engine!;
  const run = randomBytes(4).toString('hex');
  const labels = { 'berth.hub': `ssh-${run}`, 'berth.role': 'project', 'berth.project': 'ssh' };
  let berth: Berth;
  let runtime: ContainerRuntime;
  let id: string;

  beforeAll(async () => {
    berth = sshBerth(engine);
    runtime = berth.runtime;
    id = await runtime.containers.create(
      hardenedSpec({
        name: `berth-test-ssh-${run}`,
        image: IMAGE,
        cmd: [
          '/bin/sh',
          '-c',
          "echo started; echo warming >&2; trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done",
        ],
        labels,
        env: {},
        limits: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024, pids: 64 },
      }),
    );
    await runtime.containers.start(id);
  });
  afterAll(async () => {
    if (id) await runtime.containers.remove(id);
  });

  it('reports the ssh endpoint, and a remote engine: no shared folders, no agent', async () => {
    const info = await runtime.ping();
    expect(info.endpoint).toBe(`DOCKER_HOST=${engine.dockerHost}`);
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
    const can = await runtime.capabilities();
    expect(can.sharedHostFs).toBe(false);
    expect(can.agent).toBe(false);
  });

  it('runs a command (a hijacked exec over ssh) with its output and exit code', async () => {
    let out = '';
    let err = '';
    const result = await runtime.exec.run(
      { id },
      {
        cmd: ['/bin/sh', '-c', 'echo "to $1"; echo "oops" >&2; exit 7', 'sh', 'stdout'],
        onStdout: (c) => void (out += c.toString()),
        onStderr: (c) => void (err += c.toString()),
      },
    );
    expect(result.exitCode).toBe(7);
    expect(out).toBe('to stdout\n');
    expect(err).toBe('oops\n');
  });

  it('runs commands one after another and at once, each with its own answer', async () => {
    const echo = async (n: number) => {
      let out = '';
      const r = await runtime.exec.run(
        { id },
        { cmd: ['echo', `n${n}`], onStdout: (c) => void (out += c.toString()) },
      );
      return `${r.exitCode}:${out}`;
    };
    expect(await echo(0)).toBe('0:n0\n');
    expect(await Promise.all([1, 2, 3, 4].map(echo))).toEqual(['0:n1\n', '0:n2\n', '0:n3\n', '0:n4\n']);
  });

  it('keeps an attached process: stdin in, stdout back, several round trips, then EOF ends it', async () => {
    let out = '';
    let closed!: () => void;
    const ended = new Promise<void>((r) => (closed = r));
    const proc = await runtime.exec.attach(id, {
      cmd: ['/bin/sh', '-c', 'while read line; do echo "got $line"; done; echo bye'],
      onStdout: (c) => void (out += c.toString()),
      onStderr: () => undefined,
      onClose: () => closed(),
    });
    const waitFor = async (text: string) => {
      for (let i = 0; i < 200 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain(text);
    };
    proc.write('one\n');
    await waitFor('got one\n');
    proc.write('two\n');
    await waitFor('got two\n');
    proc.close();
    await ended;
    expect(out.startsWith('got one\ngot two\n')).toBe(true);
  });

  it('copies files in and back out through the archive API, megabytes of them, byte for byte', async () => {
    const sh = async (script: string) => {
      let out = '';
      const r = await runtime.exec.run(
        { id },
        { cmd: ['/bin/sh', '-c', script], onStdout: (c) => void (out += c.toString()) },
      );
      expect(r.exitCode).toBe(0);
      return out;
    };
    // 12 MB of noise: more than any pipe or ssh window holds, so both directions must wait
    const made = await sh(
      'mkdir -p /tmp/in /tmp/out && head -c 12000000 /dev/urandom > /tmp/in/big && printf tiny > /tmp/in/small && md5sum < /tmp/in/big',
    );
    const tar = await runtime.files.get(id, '/tmp/in');
    const chunks: Buffer[] = [];
    for await (const c of tar) {
      chunks.push(c as Buffer);
      // a slow reader: the ssh stream must hold back, not drop or buffer without end
      if (chunks.length % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const archive = Buffer.concat(chunks);
    expect(archive.length).toBeGreaterThan(12_000_000);
    await runtime.files.put(
      id,
      '/tmp/out',
      Readable.from([archive.subarray(0, 1 << 20), archive.subarray(1 << 20)]),
    );
    expect(await sh('md5sum < /tmp/out/in/big')).toBe(made);
    expect(await sh('cat /tmp/out/in/small')).toBe('tiny');
  });

  it("reads the container's logs, both streams", async () => {
    let out = '';
    let err = '';
    await runtime.containers.logs(id, {
      follow: false,
      onStdout: (c) => void (out += c.toString()),
      onStderr: (c) => void (err += c.toString()),
    });
    expect(out).toBe('started\n');
    expect(err).toBe('warming\n');
  });

  it('follows logs until aborted', async () => {
    const stop = new AbortController();
    let out = '';
    const following = runtime.containers.logs(id, {
      follow: true,
      onStdout: (c) => {
        out += c.toString();
        if (out.includes('started')) stop.abort();
      },
      onStderr: () => undefined,
      signal: stop.signal,
    });
    await following;
    expect(out).toContain('started\n');
  });

  it('builds an image from a Dockerfile context sent over ssh', async () => {
    const context = makeTempDir();
    dirs.push(context);
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${IMAGE}\nCOPY note.txt /note.txt\nRUN echo built >> /note.txt\n`,
    );
    writeFileSync(join(context, 'note.txt'), `from the host ${run}\n`);
    const tag = `berth-test/ssh-build-${run}`;
    const lines: string[] = [];
    try {
      const image = await runtime.images.build(
        { context, dockerfile: 'Dockerfile', tag, labels: { 'berth.test': 'ssh' }, args: {} },
        (line) => lines.push(line),
      );
      expect(image.id).toMatch(/^sha256:/);
      expect(lines.join('\n')).toMatch(/Step 3\/3|RUN echo built/);
      expect((await runtime.images.inspect(tag))?.id).toBe(image.id);
    } finally {
      await new Docker()
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  it('lists and removes labelled volumes', async () => {
    const name = `berth-test-ssh-${run}-vol`;
    const volLabels = { ...labels, 'berth.role': 'volume' };
    // made on demand by the container that mounts it, over ssh like everything else
    const user = await runtime.containers.create({
      ...hardenedSpec({
        name: `berth-test-ssh-${run}-v`,
        image: IMAGE,
        cmd: ['true'],
        labels,
        env: {},
        limits: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024, pids: 64 },
      }),
      volumes: [{ name, target: '/data', labels: volLabels }],
    });
    await runtime.containers.remove(user);
    expect(await runtime.volumes.list(volLabels)).toEqual([
      { name, labels: expect.objectContaining(volLabels) },
    ]);
    await runtime.volumes.remove(name);
    expect(await runtime.volumes.list(volLabels)).toEqual([]);
  });

  it('brings a synced project up, runs a command in it, syncs both ways and takes it down, through the hub', async () => {
    const hub = berth.hub;
    const folder = berth.config.projects.find((p) => p.name === 'box')!.path;
    writeFileSync(join(folder, 'from-host.txt'), 'over ssh\n');
    try {
      await hub.up(['box']);
      const r = await hub.exec('box', [
        '/bin/sh',
        '-c',
        'echo "in $(hostname)"; cat /workspace/from-host.txt; exit 4',
      ]);
      expect(r.exitCode).toBe(4);
      expect(r.stdout).toMatch(/^in \S+\nover ssh\n$/);
      // the hub has no path to the volume: what the container writes comes back through the agent
      await hub.exec('box', ['/bin/sh', '-c', 'echo from the container > /workspace/back.txt']);
      const sync = await berth.sync();
      const report = await sync.barrier('box');
      expect(report.toLocal).toBe(1);
      expect(readFileSync(join(folder, 'back.txt'), 'utf8')).toBe('from the container\n');
      // a bind mount would mount a folder of the engine's machine: refused, nothing made
      await expect(hub.up(['bound'])).rejects.toThrow(/remote engine.*workspace: sync/);
    } finally {
      await (await berth.sync()).close();
      await hub.down(['box'], { volumes: true });
    }
    expect(await runtime.containers.list({ 'berth.hub': berth.config.hubId })).toEqual([]);
  });

  it('lets the process exit without close(): idle ssh connections hold nothing open', () => {
    const script = `
      import { DockerRuntime } from ${JSON.stringify(new URL('../src/runtime/docker/docker-runtime.ts', import.meta.url).pathname)};
      import { silentLogger } from ${JSON.stringify(new URL('../src/logger.ts', import.meta.url).pathname)};
      const info = await new DockerRuntime(silentLogger()).ping();
      console.log(info.endpoint);
    `;
    const logins = () => readdirSync(tmpdir()).filter((name) => name.startsWith('berth-ssh-'));
    const before = logins();
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: engine.env,
      encoding: 'utf8',
      timeout: 25_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe(`DOCKER_HOST=${engine.dockerHost}`);
    expect(child.status).toBe(0);
    // the idle connections would keep it alive for their 30 s
    expect(Date.now() - started).toBeLessThan(20_000);
    // its shared ssh login was ended and its folder removed on the way out
    expect(logins().filter((name) => !before.includes(name))).toEqual([]);
  });
});

describe.skipIf(ssh.skip !== undefined)('an ssh engine that cannot be used says why', () => {
  const engine = ssh.engine!;
  const refusal = async (env: NodeJS.ProcessEnv) => {
    const runtime = new DockerRuntime(silentLogger(), { env: { ...engine.env, ...env } });
    try {
      return await runtime.ping().then(
        () => undefined,
        (err: unknown) => err as Error & { code?: string; cause?: { details?: Record<string, unknown> } },
      );
    } finally {
      runtime.close();
    }
  };

  it('a key the server does not accept: the login is refused, naming the key', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const key = join(dir, 'stranger');
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]).status).toBe(0);
    const err = await refusal({ BERTH_SSH_KEY: key });
    expect(err).toMatchObject({ code: 'ENGINE_UNREACHABLE' });
    expect(err?.message).toContain(`DOCKER_HOST=${engine.dockerHost}`);
    expect(err?.message).toMatch(/refused the login \(.*Permission denied.*\)/);
    expect(err?.message).toContain(`BERTH_SSH_KEY=${key}`);
    expect(err?.message).not.toMatch(/bootstrap-engine/);
  });

  it('a key file that is not there: refused before any login', async () => {
    const err = await refusal({ BERTH_SSH_KEY: '/nonexistent/berth-key' });
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(err?.message).toMatch(/BERTH_SSH_KEY=\/nonexistent\/berth-key should be the private key/);
  });

  it('a server whose host key is not known: refused, never trusted on first use', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const empty = join(dir, 'known_hosts');
    writeFileSync(empty, '');
    const err = await refusal({ BERTH_SSH_KNOWN_HOSTS: empty });
    expect(err).toMatchObject({ code: 'ENGINE_UNREACHABLE' });
    expect(err?.message).toMatch(/could not verify the server's host key \(.*Host key verification failed/);
  });

  it('no ssh server at that address: cannot connect', async () => {
    const err = await refusal({ DOCKER_HOST: 'ssh://root@127.0.0.1:1' });
    expect(err).toMatchObject({ code: 'ENGINE_UNREACHABLE' });
    expect(err?.message).toMatch(/ssh could not connect \(.*Connection refused/);
  });

  it('a remote without the docker CLI: the login works, docker is missing there', async () => {
    const err = await refusal({ BERTH_SSH_KEY: engine.noDockerKeyPath });
    expect(err).toMatchObject({ code: 'ENGINE_UNREACHABLE' });
    expect(err?.message).toMatch(
      /the ssh login works but the remote has no docker CLI \(.*docker: command not found/,
    );
  });

  it('an ssh:// address with a path or a password is refused as written', async () => {
    for (const bad of ['ssh://root@127.0.0.1:2222/var/run/docker.sock', 'ssh://root:secret@127.0.0.1']) {
      const err = await refusal({ DOCKER_HOST: bad });
      expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
      expect(err?.message).not.toContain('secret@');
    }
  });
});
