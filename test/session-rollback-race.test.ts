import { chownSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeGitProject } from './helpers/git-project.js';
import { makeTempDir } from './helpers/test-hub.js';
import { openTestSessions } from './helpers/test-sessions.js';

/**
 * Outside testing: a process started with `env -i` outlived its call, then swapped a folder for a
 * link to host-only files while `session rollback` handed the workspace to uid 1000; the hub's
 * chown followed the link. Now nothing of a call outlives it, and the chown never follows a link:
 * after five rollbacks the host-only files still belong to root.
 */
describe.each(['runc', 'runsc'] as const)('rollback with a swapper left behind, on %s', (runtime) => {
  it.skipIf(process.geteuid?.() !== 0)(
    'host-only files keep their owner',
    async () => {
      const dir = makeTempDir();
      const host = join(dir, 'project');
      const outside = join(dir, 'host-only');
      mkdirSync(host);
      makeGitProject(host);
      mkdirSync(join(host, 'd', 'e'), { recursive: true });
      writeFileSync(join(host, 'd', 'e', 'f.txt'), 'in the project\n');
      mkdirSync(outside);
      for (let i = 0; i < 10; i++) writeFileSync(join(outside, `secret${i}`), 'root only\n');
      chownSync(outside, 0, 0);
      const { sessions, store } = openTestSessions(join(dir, 'home'));
      try {
        const s = await sessions.start({ path: host, runtime, image: 'berth-test/busybox' });
        const swap = `while :; do mv d d.x; ln -s ${outside} d; rm -f d; mv d.x d; done`;
        const r = await sessions.exec(
          s.id,
          ['/bin/sh', '-c', `env -i /bin/sh -c '${swap}' >/dev/null 2>&1 & echo started`],
          {
            timeoutMs: 20_000,
          },
        );
        expect(r.stdout).toContain('started');
        for (let i = 0; i < 5; i++) await sessions.rollback(s.id, i % 2);
        const ps = await sessions.exec(s.id, ['/bin/sh', '-c', 'ps -o pid,args | grep -c "[m]v d" ; true']);
        // only the grep itself (and its shell) can match
        expect(Number(ps.stdout.trim())).toBeLessThanOrEqual(1);
        expect(statSync(outside).uid).toBe(0);
        for (let i = 0; i < 10; i++) expect(statSync(join(outside, `secret${i}`)).uid).toBe(0);
        await sessions.discard(s.id);
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
