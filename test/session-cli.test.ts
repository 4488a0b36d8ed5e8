import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeGitProject } from './helpers/git-project.js';
import { runCli } from './helpers/run-cli.js';
import { makeTempDir } from './helpers/test-hub.js';

describe('berth session through the CLI', () => {
  it('start, exec, log, diff, list, then merge onto a branch without touching the working tree', async () => {
    const dir = makeTempDir();
    const host = join(dir, 'project');
    mkdirSync(host);
    makeGitProject(host);
    const env = { BERTH_HOME: join(dir, 'home') };
    const berth = (...args: string[]) => runCli(args, { cwd: host, env, timeoutMs: 60_000 });
    try {
      const started = await berth('session', 'start', '--runtime', 'runc', '--image', 'berth-test/busybox');
      expect(started.code, started.stderr).toBe(0);
      const id = started.stdout.trim();
      expect(id).toMatch(/^s-[0-9a-f]{10}$/);
      expect(started.stderr).toContain('session: taking in the host repository history');

      const exec = await berth(
        'session',
        'exec',
        id,
        '--',
        'sh',
        '-c',
        'echo "agent edit" >> src/app.txt; echo done',
      );
      expect(exec).toMatchObject({ code: 0, stdout: 'done\n' });
      const log = JSON.parse((await berth('session', 'log', id, '--json')).stdout) as {
        steps: { step: number; message: string }[];
      };
      expect(log.steps.map((s) => s.step)).toEqual([0, 1]);
      const stat = (await berth('session', 'diff', id, '--stat')).stdout;
      expect(stat).toMatch(/src\/app\.txt \| 1 \+/);
      expect(stat).not.toContain('diff --git'); // the summary only
      const list = JSON.parse((await berth('session', 'list', '--json')).stdout) as {
        sessions: { id: string; state: string }[];
      };
      expect(list.sessions).toEqual([expect.objectContaining({ id, state: 'running', runtime: 'runc' })]);

      // rollback to the baseline and forward again; each is a step of its own
      const back = await berth('session', 'rollback', id, '0');
      expect(back).toMatchObject({ code: 0, stdout: 'step 2: rollback to step 0\n' });
      expect((await berth('session', 'exec', id, '--', 'cat', 'src/app.txt')).stdout).toBe(
        'line one\nuncommitted line\n',
      );
      expect((await berth('session', 'rollback', id, '1')).stdout).toBe('step 3: rollback to step 1\n');
      expect(
        (
          await berth(
            'session',
            'exec',
            id,
            '--',
            'sh',
            '-c',
            'id -u; ls -ln src/app.txt | awk "{print \\$3}"',
          )
        ).stdout,
      ).toBe('1000\n1000\n');
      expect((await berth('session', 'rollback', id, '9')).stderr).toMatch(
        /step 9 does not exist; steps are 0 to 3/,
      );

      const before = readFileSync(join(host, 'src', 'app.txt'), 'utf8');
      const merged = await berth('session', 'merge', id);
      expect(merged.code, merged.stderr).toBe(0);
      expect(merged.stdout).toBe(`branch berth/${id}: 3 commits (the working tree is unchanged)\n`);
      expect(readFileSync(join(host, 'src', 'app.txt'), 'utf8')).toBe(before);
      const subjects = execFileSync('git', ['-C', host, 'log', '-3', '--format=%s', `berth/${id}`])
        .toString()
        .trim()
        .split('\n');
      expect(subjects[0]).toBe('rollback to step 1');
      expect(subjects[1]).toBe('rollback to step 0');
      expect(subjects[2]).toMatch(
        /^run_command "sh -c echo \\"agent edit\\" >> src\/app\.txt; echo done" \(exit 0\)$/,
      );
      const shown = execFileSync('git', ['-C', host, 'show', `berth/${id}:src/app.txt`]).toString();
      expect(shown).toBe('line one\nuncommitted line\nagent edit\n');
      const after = JSON.parse((await berth('session', 'list', '--json')).stdout) as {
        sessions: { state: string }[];
      };
      expect(after.sessions[0]!.state).toBe('merged');

      const bad = await berth('session', 'start', '--runtime', 'firecracker');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/firecracker is not supported on this host/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
