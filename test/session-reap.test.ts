import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sessions } from '../src/sessions/sessions.js';
import type { SessionRecord } from '../src/store/session-table.js';
import type { Store } from '../src/store/store.js';
import type { ContainerRuntime } from '../src/runtime/container-runtime.js';
import { makeGitProject } from './helpers/git-project.js';
import { makeTempDir } from './helpers/test-hub.js';
import { openTestSessions } from './helpers/test-sessions.js';

/** Every process of the sandbox as "pid ppid args", one a line, read from /proc. */
const LIST_PROCESSES =
  'for d in /proc/[0-9]*; do a=$(tr "\\0" " " < $d/cmdline 2>/dev/null); ' +
  's=$(cat $d/stat 2>/dev/null); set -- ${s##*) }; echo "${d#/proc/} $2 $1 $a"; done';

/** What the calls below leave behind: each its own sleep length. */
const LEFTOVER = /sleep 3[0-9][0-9]\b/;

describe.each(['runc', 'runsc'] as const)('a session call ends everything it started, on %s', (runtime) => {
  let dir: string;
  let store: Store;
  let engine: ContainerRuntime;
  let sessions: Sessions;
  let s: SessionRecord;
  const sh = (script: string, timeoutMs = 30_000) =>
    sessions.exec(s.id, ['/bin/sh', '-c', script], { timeoutMs });

  /** What runs in the sandbox now, seen by a fresh call (not counting that call itself). */
  const processes = async () => {
    const r = await sh(LIST_PROCESSES);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  };
  const startedAt = async () => (await engine.containers.inspect(s.containerId!))?.startedAt?.getTime();

  beforeAll(async () => {
    dir = makeTempDir();
    mkdirSync(join(dir, 'project'));
    makeGitProject(join(dir, 'project'));
    ({ sessions, store, runtime: engine } = openTestSessions(join(dir, 'home')));
    s = await sessions.start({ path: join(dir, 'project'), runtime, image: 'berth-test/busybox', pids: 64 });
  });
  afterAll(async () => {
    if (s) await sessions.discard(s.id);
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['a child that drops its environment (env -i)', "env -i /bin/sh -c 'sleep 300 &'"],
    ['a daemon in its own session (setsid)', 'setsid /bin/sh -c "sleep 301" </dev/null >/dev/null 2>&1 &'],
    ['a plain double fork', '( ( sleep 302 </dev/null >/dev/null 2>&1 & ) & ); echo forked'],
    [
      'a child that drops its environment in a session of its own',
      "env -i setsid /bin/sh -c 'sleep 303' </dev/null >/dev/null 2>&1 &",
    ],
    [
      'a shell that renames itself to look like a zombie (a newline in its name)',
      'env -i /bin/sh -c \'printf "x) Z 1 1 1\\n" > /proc/$$/comm; sleep 308 & wait\' </dev/null >/dev/null 2>&1 &',
    ],
    [
      'a respawning loop that keeps forking',
      "env -i /bin/sh -c 'while :; do sleep 304 & sleep 0.01; done' </dev/null >/dev/null 2>&1 &",
    ],
  ])('%s does not outlive its call', async (_what, script) => {
    const before = await startedAt();
    const mine = new RegExp(`sleep ${/sleep (3\d\d)/.exec(script)![1]}\\b`);
    const r = await sh(`${script}\nsleep 0.3; ${LIST_PROCESSES}`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.notice).toBeUndefined();
    // it really ran: the call saw its own leftover
    expect(r.stdout).toMatch(mine);
    const after = await processes();
    expect(after).not.toMatch(mine);
    // nothing of the agent's: what remains is pid 1, the main process and its own keep-alive
    // sleep (besides the listing call itself)
    expect(after).toMatch(/^1 0 \S+ \/sbin\/docker-init/m);
    // ended by the reap, not by restarting the sandbox
    expect(await startedAt()).toBe(before);
  });

  it('the session keeps working: commands run and their changes become steps', async () => {
    const r = await sh('echo after > after.txt; cat after.txt');
    expect(r).toMatchObject({ exitCode: 0, stdout: 'after\n' });
    expect(r.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a command that times out ends with everything it started, markers or not', async () => {
    const before = await startedAt();
    const r = await sh("env -i /bin/sh -c 'sleep 305 & sleep 306'", 1500);
    expect(r.timedOut).toBe(true);
    expect(r.killFailed ?? false).toBe(false);
    expect(await processes()).not.toMatch(/sleep 30[56]\b/);
    expect(await startedAt()).toBe(before);
  });

  it('after all of that, nothing any call started is left', async () => {
    expect(await processes()).not.toMatch(LEFTOVER);
  });

  it('calls of one session run one at a time, so one call never ends a sibling', async () => {
    const [slow, quick] = await Promise.all([sh('sleep 1; echo slow done'), sh('echo quick done')]);
    expect(slow).toMatchObject({ exitCode: 0, stdout: 'slow done\n' });
    expect(quick).toMatchObject({ exitCode: 0, stdout: 'quick done\n' });
  });
});
