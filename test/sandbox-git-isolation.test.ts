import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { populateSandbox } from '../src/sessions/sandbox-copy.js';
import { SandboxGit } from '../src/sessions/sandbox-git.js';
import { makeGitProject } from './helpers/git-project.js';
import { makeTempDir } from './helpers/test-hub.js';

/**
 * Both ways berth starts git (`run` for one answer, `spawn` for a long-lived process such as
 * `cat-file --batch`) read no config but the session repository's own (written by berth) and
 * the hardened command-line settings, and run no hook, even when berth itself was started
 * inside a hostile project, with a hostile HOME and git variables in its environment.
 */
describe('SandboxGit starts git without the project config, hooks or environment', () => {
  let dir: string;
  let marks: string;
  let git: SandboxGit;
  const saved = { cwd: process.cwd(), env: { ...process.env } };
  const planted = () => (existsSync(marks) ? readdirSync(marks).sort() : []);

  beforeAll(async () => {
    dir = makeTempDir();
    marks = join(dir, 'marks');
    const project = join(dir, 'project');
    mkdirSync(project);
    makeGitProject(project);
    const script = (name: string) => {
      const path = join(dir, `${name}.sh`);
      writeFileSync(path, `#!/bin/sh\nmkdir -p ${marks} && touch ${marks}/${name}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    const hooks = join(dir, 'evil-hooks');
    mkdirSync(hooks);
    for (const hook of ['pre-commit', 'post-commit', 'reference-transaction'])
      writeFileSync(join(hooks, hook), `#!/bin/sh\nmkdir -p ${marks} && touch ${marks}/hook-${hook}\n`, {
        mode: 0o755,
      });
    const evil = `[core]\n\thooksPath = ${hooks}\n\tfsmonitor = ${script('fsmonitor')}\n[alias]\n\tevil = !${script('alias')}\n`;
    writeFileSync(join(project, '.git', 'config'), evil, { flag: 'a' });
    const home = join(dir, 'home');
    mkdirSync(home);
    writeFileSync(join(home, '.gitconfig'), evil);
    // the session repository, as session start makes it
    await populateSandbox(project, join(dir, 'session', 'git'), join(dir, 'session', 'workspace'), {
      includeIgnored: false,
    });
    git = new SandboxGit(join(dir, 'session', 'git'), join(dir, 'session', 'workspace'));
    // and berth running from inside the project, with everything git would pick up from there
    process.chdir(project);
    Object.assign(process.env, {
      HOME: home,
      XDG_CONFIG_HOME: home,
      GIT_DIR: join(project, '.git'),
      GIT_CONFIG_PARAMETERS: `'core.fsmonitor=${script('env-fsmonitor')}'`,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.hooksPath',
      GIT_CONFIG_VALUE_0: hooks,
    });
  });

  afterAll(() => {
    process.chdir(saved.cwd);
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const spawned = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = git.spawn(args);
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stdin.end();
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout }));
    });

  it('sees only the session config and the command line, through run and spawn alike', async () => {
    const own = `file:${join(git.gitDir, 'config')}`;
    for (const listing of [
      await git.run(['config', '--list', '--show-origin']),
      (await spawned(['config', '--list', '--show-origin'])).stdout,
    ]) {
      const origins = new Set(
        listing
          .trim()
          .split('\n')
          .map((line) => line.split('\t')[0]),
      );
      expect([...origins].sort()).toEqual(['command line:', own].sort());
      expect(listing).toContain('core.hookspath=/dev/null');
      expect(listing).not.toContain('evil');
    }
  });

  it('runs no hook or fsmonitor on a commit, through run and spawn alike', async () => {
    await git.run(['commit', '--allow-empty', '-q', '-m', 'by run']);
    expect((await spawned(['commit', '--allow-empty', '-q', '-m', 'by spawn'])).code).toBe(0);
    await git.run(['status', '--porcelain']);
    expect(planted()).toEqual([]);
    expect(await git.run(['log', '-2', '--format=%s'])).toBe('by spawn\nby run\n');
  });
});
