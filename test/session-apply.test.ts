import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeGitProject } from './helpers/git-project.js';
import { makeTempDir } from './helpers/test-hub.js';
import { openTestSessions } from './helpers/test-sessions.js';

describe.each(['runc', 'runsc'] as const)(
  'session apply on %s: three-way, no byte lost on either side',
  (runtimeName) => {
    it('writes what only the session changed, keeps host edits, saves the session version beside conflicts', async () => {
      const dir = makeTempDir();
      const host = join(dir, 'project');
      mkdirSync(host);
      makeGitProject(host);
      const { sessions, store, runtime } = openTestSessions(join(dir, 'home'));
      try {
        const s = await sessions.start({ path: host, runtime: runtimeName, image: 'berth-test/busybox' });
        const r = await sessions.exec(s.id, [
          '/bin/sh',
          '-c',
          [
            'echo "from the session" >> src/app.txt',
            'echo new > new.txt',
            'mkdir -p docs && echo "# guide" > docs/guide.md',
            'rm untracked.txt .gitignore',
            'ln -s src/app.txt inside-link',
            'ln -s /etc/passwd outside-link',
            'ln -s ../../elsewhere escape-link',
            'mkdir -p .git/hooks && echo "touch /tmp/pwned" > .git/hooks/pre-commit',
          ].join(' && '),
        ]);
        expect(r.exitCode).toBe(0);
        // meanwhile, the user edits the host folder
        writeFileSync(join(host, 'src', 'app.txt'), 'line one\nthe user rewrote this\n');
        writeFileSync(join(host, 'untracked.txt'), 'the user kept working on this\n');
        writeFileSync(join(host, 'host-only.txt'), 'made on the host during the session\n');
        const commitsBefore = execFileSync('git', ['-C', host, 'rev-list', '--count', 'HEAD']).toString();

        const report = await sessions.apply(s.id);

        expect(report.written.sort()).toEqual(['docs/guide.md', 'inside-link', 'new.txt']);
        expect(report.deleted).toEqual(['.gitignore']);
        expect(report.conflicts).toEqual([
          {
            path: 'src/app.txt',
            sessionCopy: `src/app.txt.berth-session-${s.id}`,
            why: 'changed on the host and in the session',
          },
          { path: 'untracked.txt', sessionCopy: null, why: 'deleted in the session, changed on the host' },
        ]);
        expect(report.refused.map((x) => x.path).sort()).toEqual(['escape-link', 'outside-link']);

        // the host's edits are intact, and the session's version of the conflict is beside it
        expect(readFileSync(join(host, 'src', 'app.txt'), 'utf8')).toBe('line one\nthe user rewrote this\n');
        expect(readFileSync(join(host, 'src', `app.txt.berth-session-${s.id}`), 'utf8')).toBe(
          'line one\nuncommitted line\nfrom the session\n',
        );
        expect(readFileSync(join(host, 'untracked.txt'), 'utf8')).toBe('the user kept working on this\n');
        expect(readFileSync(join(host, 'host-only.txt'), 'utf8')).toBe(
          'made on the host during the session\n',
        );
        expect(readFileSync(join(host, 'new.txt'), 'utf8')).toBe('new\n');
        expect(readFileSync(join(host, 'docs', 'guide.md'), 'utf8')).toBe('# guide\n');
        expect(existsSync(join(host, '.gitignore'))).toBe(false);
        expect(readlinkSync(join(host, 'inside-link'))).toBe('src/app.txt');
        expect(() => lstatSync(join(host, 'outside-link'))).toThrow();
        // .git is never written
        expect(existsSync(join(host, '.git', 'hooks', 'pre-commit'))).toBe(false);
        expect(execFileSync('git', ['-C', host, 'rev-list', '--count', 'HEAD']).toString()).toBe(
          commitsBefore,
        );

        // applying ends the session: no container, no sandbox
        expect(sessions.get(s.id).state).toBe('applied');
        expect(await runtime.containers.inspect(s.containerId!)).toBeUndefined();
        expect(existsSync(join(dir, 'home', 'sessions', s.id))).toBe(false);
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
