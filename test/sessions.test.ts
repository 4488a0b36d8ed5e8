import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sessions } from '../src/sessions/sessions.js';
import type { Store } from '../src/store/store.js';
import type { SessionRecord } from '../src/store/session-table.js';
import { makeGitProject } from './helpers/git-project.js';
import { makeTempDir } from './helpers/test-hub.js';
import { openTestSessions } from './helpers/test-sessions.js';

describe.each(['runc', 'runsc'] as const)('sandboxed session on %s', (runtime) => {
  let dir: string;
  let store: Store;
  let sessions: Sessions;
  let s: SessionRecord;
  // gVisor's sentry lives inside the memory limit too, so it is looser on runsc
  const limits = runtime === 'runsc' ? { memory: '256m', pids: 64 } : { memory: '64m', pids: 64 };
  const sh = (script: string, timeoutMs = 20_000) =>
    sessions.exec(s.id, ['/bin/sh', '-c', script], { timeoutMs });

  beforeAll(async () => {
    dir = makeTempDir();
    mkdirSync(join(dir, 'project'));
    makeGitProject(join(dir, 'project'));
    ({ sessions, store } = openTestSessions(join(dir, 'home')));
    s = await sessions.start({ path: join(dir, 'project'), runtime, image: 'berth-test/busybox', ...limits });
  });
  afterAll(async () => {
    if (s) await sessions.discard(s.id);
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`runs on ${runtime}, holding HEAD plus uncommitted and untracked files, without ignored ones or .git`, async () => {
    expect(s).toMatchObject({ state: 'running', runtime, network: 'none' });
    const r = await sh('ls -A; echo ---; cat src/app.txt');
    expect(r.stdout).toBe('.gitignore\nsrc\nuntracked.txt\n---\nline one\nuncommitted line\n');
    const steps = await sessions.log(s.id);
    expect(steps.map((x) => [x.step, x.message])).toEqual([[0, 'session baseline']]);
  });

  it('is locked down: not root, no capabilities, no new privileges, no engine socket', async () => {
    const r = await sh(
      'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; test -e /var/run/docker.sock && echo SOCKET; env | grep -c DOCKER_HOST',
    );
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('1000');
    expect(r.stdout).toMatch(/CapEff:\s+0000000000000000/);
    expect(r.stdout).not.toContain('SOCKET');
    expect(lines.at(-2)).toBe('0');
    if (runtime === 'runc') expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    // gVisor's /proc does not show NoNewPrivs; the container is still created with it
    const security = execFileSync('docker', [
      'inspect',
      '-f',
      '{{json .HostConfig.SecurityOpt}}',
      s.containerId!,
    ]).toString();
    expect(security).toContain('no-new-privileges:true');
  });

  it('has no network: connections and DNS lookups fail', async () => {
    const r = await sh(
      'ls /sys/class/net 2>/dev/null | tr "\\n" " "; nc -w 2 1.1.1.1 80 </dev/null && echo NC-OK; nslookup example.com >/dev/null 2>&1 && echo DNS-OK; echo done',
    );
    expect(r.stdout).not.toContain('NC-OK');
    expect(r.stdout).not.toContain('DNS-OK');
    expect(r.stdout).toContain('done');
  });

  it('every changing command is one commit; the diff shows the total change', async () => {
    const changed = await sh('echo added >> src/app.txt && echo fresh > new.txt');
    expect(changed.commit).toMatch(/^[0-9a-f]{40}$/);
    const unchanged = await sh('cat src/app.txt >/dev/null');
    expect(unchanged.commit).toBeUndefined();
    const steps = await sessions.log(s.id);
    expect(steps.map((x) => x.message)).toEqual([
      'session baseline',
      'run_command "/bin/sh -c echo added >> src/app.txt && echo fresh > new.txt" (exit 0)',
    ]);
    expect(await sessions.diff(s.id, true)).toMatch(/new\.txt\s+\|\s+1 \+\n src\/app\.txt\s+\|\s+1 \+/);
    // the host folder is untouched until apply
    expect(existsSync(join(dir, 'project', 'new.txt'))).toBe(false);
  });

  it('a fork bomb stops at the pids limit; the call ends with its processes, and the session keeps working', async () => {
    const bomb = await sh(
      'i=0; while [ $i -lt 500 ]; do (sleep 600 &) 2>/dev/null || break; i=$((i+1)); done; echo forked $i',
      20_000,
    );
    const forked = Number(/forked (\d+)/.exec(bomb.stdout)?.[1] ?? 500);
    expect(forked).toBeGreaterThan(10);
    expect(forked).toBeLessThan(64);
    const after = await sh('echo alive; for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done');
    expect(after.stdout).toContain('alive');
    expect(after.stdout).not.toContain('sleep 600');
  });

  it('a real fork bomb is stopped at the timeout; the host and another session stay responsive', async () => {
    const other = await sessions.start({
      path: join(dir, 'project'),
      runtime,
      image: 'berth-test/busybox',
      ...limits,
    });
    try {
      const bombing = sh('b() { b | b & }; b; sleep 5', 3_000);
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = performance.now();
      const answer = await sessions.exec(other.id, ['/bin/sh', '-c', 'echo other'], { timeoutMs: 20_000 });
      const otherMs = performance.now() - t0;
      const h0 = performance.now();
      execFileSync('/bin/sh', ['-c', 'echo host']);
      const hostMs = performance.now() - h0;
      const bomb = await bombing;
      expect(answer.stdout).toBe('other\n');
      // generous bounds: this is about staying usable, not about speed
      expect(otherMs).toBeLessThan(10_000);
      expect(hostMs).toBeLessThan(5_000);
      expect(bomb.exitCode).not.toBe(0);
      expect((await sh('echo alive')).stdout).toBe('alive\n');
    } finally {
      await sessions.discard(other.id);
    }
  }, 240_000); // stopping a gVisor sandbox mid-storm has taken up to 50 s here

  it('a process past the memory limit is killed and reported; the session keeps working', async () => {
    await sh('echo before > kept.txt');
    const r = await sh('awk \'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }\'', 60_000);
    expect(r.exitCode).not.toBe(0);
    expect(r.timedOut).toBe(false);
    expect(r.notice).toMatch(/memory/);
    expect((await sh('echo still here; cat kept.txt')).stdout).toBe('still here\nbefore\n');
  });

  it('sleep 100000 is killed at the timeout with nothing left running', async () => {
    const r = await sh('sleep 100000', 800);
    expect(r.timedOut).toBe(true);
    const ps = await sh('for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done');
    expect(ps.stdout).not.toContain('sleep 100000');
  });

  it('a background process ends with the call that started it', async () => {
    const r = await sh('(sleep 300; echo late > late.txt) & echo started');
    expect(r.stdout).toBe('started\n');
    const ps = await sh('for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done');
    expect(ps.stdout).not.toContain('sleep 300');
  });
});

describe('session bad input', () => {
  it('refuses firecracker, a missing folder and an unknown session, clearly', async () => {
    const dir = makeTempDir();
    const { sessions, store } = openTestSessions(join(dir, 'home'));
    try {
      await expect(sessions.start({ path: dir, runtime: 'firecracker' })).rejects.toThrow(
        /firecracker is not supported on this host/,
      );
      await expect(sessions.start({ path: join(dir, 'nope') })).rejects.toThrow(/is not a folder/);
      expect(() => sessions.get('s-nope')).toThrow(/unknown session "s-nope"/);
      expect(sessions.list()).toEqual([]);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
