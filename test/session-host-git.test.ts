import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sessions } from '../src/sessions/sessions.js';
import type { Store } from '../src/store/store.js';
import { makeGitProject } from './helpers/git-project.js';
import { makeTempDir } from './helpers/test-hub.js';
import { openTestSessions } from './helpers/test-sessions.js';

/**
 * A project container can write the project's `.git`. Everything it could plant there to make
 * the hub's git run a command on the host is planted here, then every session verb that touches
 * the host repository is run: none of the commands may run. (git runs on the host only; the
 * sandbox runtime does not change that path, so runc is enough.)
 */
describe('no git process runs with a project repository config, hooks or attributes', () => {
  let dir: string;
  let host: string;
  let marks: string;
  let store: Store;
  let sessions: Sessions;

  const planted = () => (existsSync(marks) ? readdirSync(marks).sort() : []);

  beforeAll(() => {
    dir = makeTempDir();
    host = join(dir, 'project');
    marks = join(dir, 'marks');
    mkdirSync(host);
    makeGitProject(host);
    const mark = (name: string) => `mkdir -p ${marks} && touch ${marks}/${name}`;
    const script = (name: string) => {
      const path = join(dir, `${name}.sh`);
      writeFileSync(path, `#!/bin/sh\n${mark(name)}\ncat\n`);
      chmodSync(path, 0o755);
      return path;
    };
    const config = [
      '[core]',
      `\tfsmonitor = ${script('fsmonitor')}`,
      `\tpager = ${script('pager')}`,
      `\tsshCommand = ${script('ssh')}`,
      `\thooksPath = ${join(host, '.git', 'evil-hooks')}`,
      `\tattributesFile = ${join(dir, 'attributes')}`,
      '[filter "evil"]',
      `\tclean = ${script('clean')}`,
      `\tsmudge = ${script('smudge')}`,
      `\tprocess = ${script('process')}`,
      '[diff "evil"]',
      `\ttextconv = ${script('textconv')}`,
      `\tcommand = ${script('diffcmd')}`,
      '[diff]',
      `\texternal = ${script('external')}`,
      '[merge "evil"]',
      `\tdriver = ${script('mergedriver')}`,
      '[protocol]',
      '\tallow = always',
      '[url "ext::sh -c touch% ' + marks + '/ext% >&2"]',
      `\tinsteadOf = ${join(dir, 'home', 'sessions')}`,
      '[include]',
      `\tpath = ${join(dir, 'included')}`,
    ].join('\n');
    writeFileSync(join(host, '.git', 'config'), `${config}\n`, { flag: 'a' });
    writeFileSync(join(dir, 'included'), `[core]\n\tfsmonitor = ${script('included')}\n`);
    writeFileSync(join(dir, 'attributes'), '* filter=evil diff=evil merge=evil\n');
    writeFileSync(join(host, '.gitattributes'), '* filter=evil diff=evil merge=evil\n');
    mkdirSync(join(host, '.git', 'info'), { recursive: true });
    writeFileSync(join(host, '.git', 'info', 'attributes'), '* filter=evil diff=evil\n');
    for (const hooks of [join(host, '.git', 'hooks'), join(host, '.git', 'evil-hooks')]) {
      mkdirSync(hooks, { recursive: true });
      for (const hook of [
        'post-checkout',
        'post-commit',
        'pre-commit',
        'post-index-change',
        'reference-transaction',
        'post-merge',
        'pre-auto-gc',
      ]) {
        writeFileSync(join(hooks, hook), `#!/bin/sh\n${mark(`hook-${hook}`)}\n`);
        chmodSync(join(hooks, hook), 0o755);
      }
    }
    // the planted config really is dangerous: a plain `git status` there runs it
    execFileSync('git', ['-C', host, 'status'], { stdio: 'pipe' });
    expect(planted()).toEqual(expect.arrayContaining(['hook-post-index-change', 'included']));
    rmSync(marks, { recursive: true, force: true });
    ({ sessions, store } = openTestSessions(join(dir, 'home')));
  });

  afterAll(async () => {
    // sessions a failed assertion left running
    for (const s of sessions?.list() ?? []) if (s.state === 'running') await sessions.discard(s.id);
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('start, exec, diff, rollback, apply and merge run nothing planted in .git', async () => {
    const s = await sessions.start({ path: host, runtime: 'runc', image: 'berth-test/busybox' });
    // the session holds the project's history: its baseline sits on the host's HEAD
    const hostHead = execFileSync('git', ['-C', host, 'rev-parse', 'HEAD']).toString().trim();
    const steps = await sessions.log(s.id);
    expect(steps).toHaveLength(1);
    const r = await sessions.exec(s.id, ['/bin/sh', '-c', 'echo more >> src/app.txt && echo x > added.txt']);
    expect(r.exitCode).toBe(0);
    expect(await sessions.diff(s.id)).toContain('+more');
    await sessions.rollback(s.id, 0);
    await sessions.rollback(s.id, 1);
    const merged = await sessions.merge(s.id);
    expect(merged.branch).toBe(`berth/${s.id}`);
    // the branch is in the host repository, on top of the host's HEAD, and complete
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'core.fsmonitor=false', '--git-dir', join(host, '.git'), ...args], {
        stdio: 'pipe',
      })
        .toString()
        .trim();
    // baseline, the command, two rollbacks
    expect(git('rev-parse', `berth/${s.id}~4`)).toBe(hostHead);
    expect(git('show', `berth/${s.id}:added.txt`)).toBe('x');
    expect(git('fsck', '--no-dangling', '--connectivity-only')).toBe('');

    const t = await sessions.start({ path: host, runtime: 'runc', image: 'berth-test/busybox' });
    await sessions.exec(t.id, ['/bin/sh', '-c', 'echo applied > applied.txt']);
    await sessions.apply(t.id);
    expect(existsSync(join(host, 'applied.txt'))).toBe(true);
    expect(planted()).toEqual([]);
  });

  it('a branch that exists already is refused, and the host ref is left alone', async () => {
    const s = await sessions.start({ path: host, runtime: 'runc', image: 'berth-test/busybox' });
    await sessions.exec(s.id, ['/bin/sh', '-c', 'echo y > y.txt']);
    const head = execFileSync('git', ['-C', host, 'rev-parse', 'HEAD']).toString().trim();
    mkdirSync(join(host, '.git', 'refs', 'heads', 'berth'), { recursive: true });
    writeFileSync(join(host, '.git', 'refs', 'heads', 'berth', s.id), `${head}\n`);
    await expect(sessions.merge(s.id)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(
      execFileSync('git', ['--git-dir', join(host, '.git'), 'rev-parse', `berth/${s.id}`])
        .toString()
        .trim(),
    ).toBe(head);
    expect(sessions.get(s.id).state).toBe('running');
    await sessions.discard(s.id);
    expect(planted()).toEqual([]);
  });
});
