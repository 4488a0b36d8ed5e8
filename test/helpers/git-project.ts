import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A git repository with committed, modified, deleted, untracked and ignored files, as a user's
 * working copy looks mid-task.
 */
export function makeGitProject(dir: string): void {
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: dir,
      stdio: 'pipe',
    });
  mkdirSync(join(dir, 'src'), { recursive: true });
  git('init', '-q');
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n*.log\n');
  writeFileSync(join(dir, 'src', 'app.txt'), 'line one\n');
  writeFileSync(join(dir, 'removed.txt'), 'to be deleted\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  writeFileSync(join(dir, 'src', 'app.txt'), 'line one\nuncommitted line\n');
  rmSync(join(dir, 'removed.txt'));
  writeFileSync(join(dir, 'untracked.txt'), 'new and untracked\n');
  mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), 'ignored\n');
  writeFileSync(join(dir, 'debug.log'), 'ignored too\n');
}
