import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sessions } from '../src/sessions/sessions.js';
import type { Store } from '../src/store/store.js';
import { makeTempDir } from './helpers/test-hub.js';
import { openTestSessions } from './helpers/test-sessions.js';

const FILES = 2500;

function fillFolder(dir: string): void {
  for (let d = 0; d < 25; d++) {
    mkdirSync(join(dir, `d${d}`), { recursive: true });
    for (let f = 0; f < FILES / 25; f++) writeFileSync(join(dir, `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
  }
  symlinkSync('d0/f0.txt', join(dir, 'link'));
}

describe('session start copies and says how far it got', () => {
  let dir: string;
  let store: Store;
  let sessions: Sessions;

  /** Starts a session on `path`, keeping every progress line. */
  const startWithProgress = async (path: string) => {
    const lines: string[] = [];
    const s = await sessions.start({
      path,
      runtime: 'runc',
      image: 'berth-test/busybox',
      onProgress: (line) => lines.push(line),
    });
    return { s, lines };
  };

  beforeAll(() => {
    dir = makeTempDir();
    ({ sessions, store } = openTestSessions(join(dir, 'home')));
  });
  afterAll(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a plain folder: counts the files, keeps links as links, leaves a FIFO out and says so', async () => {
    const src = join(dir, 'plain');
    fillFolder(src);
    execFileSync('mkfifo', [join(src, 'pipe')]);
    const { s, lines } = await startWithProgress(src);
    try {
      expect(lines).toContain(`copied ${FILES} files`);
      expect(lines.some((l) => /left out 1 sockets, FIFOs or devices: pipe/.test(l))).toBe(true);
      const copy = sessions.workspacePath(s.id);
      expect(readlinkSync(join(copy, 'link'))).toBe('d0/f0.txt');
      expect(readFileSync(join(copy, 'd24', `f${FILES / 25 - 1}.txt`), 'utf8')).toBe(
        `24/${FILES / 25 - 1}\n`,
      );
      expect(() => lstatSync(join(copy, 'pipe'))).toThrow();
      const r = await sessions.exec(s.id, ['/bin/sh', '-c', 'find . -type f | wc -l']);
      expect(r.stdout.trim()).toBe(String(FILES));
    } finally {
      await sessions.discard(s.id);
    }
  });

  it('a git repository: takes in the history and reports the copy', async () => {
    const src = join(dir, 'repo');
    fillFolder(src);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: src });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'files');
    const { s, lines } = await startWithProgress(src);
    try {
      expect(lines[0]).toMatch(/^taking in the host repository history/);
      // the FIFO is left out; every other file is copied
      expect(lines).toContain(`copied ${FILES} files`);
      const steps = await sessions.log(s.id);
      expect(steps.map((x) => x.message)).toEqual(['session baseline']);
      const r = await sessions.exec(s.id, ['/bin/sh', '-c', 'find . -type f | wc -l']);
      expect(r.stdout.trim()).toBe(String(FILES));
    } finally {
      await sessions.discard(s.id);
    }
  });

  it('reports each step of the start with its time, in order, when asked', async () => {
    const src = join(dir, 'timed');
    mkdirSync(src);
    writeFileSync(join(src, 'a.txt'), 'a\n');
    const steps: [string, number][] = [];
    const s = await sessions.start({
      path: src,
      runtime: 'runc',
      image: 'berth-test/busybox',
      onStep: (name, ms) => steps.push([name, ms]),
    });
    try {
      expect(steps.map(([name]) => name)).toEqual([
        'isolation choice',
        'image check',
        'sandbox copy and baseline commit',
        'chown',
        'container create',
        'container start',
        'readiness',
      ]);
      for (const [, ms] of steps) expect(ms).toBeGreaterThanOrEqual(0);
    } finally {
      await sessions.discard(s.id);
    }
  });
});
