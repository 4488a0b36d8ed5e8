import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_DIR_PREFIX } from './sweep.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/team/', import.meta.url));

/** git as the tests run it on their own scratch repositories (no user or system config). */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'upstream',
      GIT_AUTHOR_EMAIL: 'upstream@example.com',
      GIT_COMMITTER_NAME: 'upstream',
      GIT_COMMITTER_EMAIL: 'upstream@example.com',
    },
  });
}

export interface UpstreamRepo {
  /** A bare repository: what `team start` clones (as file://, a path, or through git daemon). */
  bare: string;
  /** A clone of it where a test makes "upstream" commits and pushes them. */
  work: string;
  url: string;
}

/** A bare repository on branch main holding the named fixtures (one at the root, or each in a folder). */
export function upstreamRepo(fixtures: string | Record<string, string>): UpstreamRepo {
  const dir = mkdtempSync(join(tmpdir(), `${TEST_DIR_PREFIX}upstream-`));
  const work = join(dir, 'work');
  const bare = join(dir, 'repo.git');
  if (typeof fixtures === 'string') cpSync(join(FIXTURES, fixtures), work, { recursive: true });
  else
    for (const [folder, fixture] of Object.entries(fixtures))
      cpSync(join(FIXTURES, fixture), join(work, folder), { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'fixture');
  git(dir, 'clone', '-q', '--bare', work, bare);
  git(work, 'remote', 'add', 'origin', bare);
  git(work, 'fetch', '-q', 'origin');
  git(work, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
  return { bare, work, url: `file://${bare}` };
}
