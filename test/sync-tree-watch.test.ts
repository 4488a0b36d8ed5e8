import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalReplica } from '../src/workspace/sync-tree/local-replica.js';
import type { WatchHint } from '../src/workspace/sync-tree/replica.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** inotify watches this process holds, read from the kernel (`/proc/self/fdinfo`). */
function inotifyWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (link !== 'anon_inode:inotify') continue;
    n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('inotify wd:')).length;
  }
  return n;
}

interface HintLog {
  hints: WatchHint[];
  /** The callback handed to watch(). */
  on: (hint: WatchHint) => void;
  /** The first hint (seen or to come within 1 s) that `match` accepts. */
  waitFor: (match: (hint: WatchHint) => boolean) => Promise<WatchHint>;
}

function hintLog(): HintLog {
  const hints: WatchHint[] = [];
  const waiters: { match: (h: WatchHint) => boolean; res: (h: WatchHint) => void }[] = [];
  return {
    hints,
    on: (hint) => {
      hints.push(hint);
      for (const w of waiters) if (w.match(hint)) w.res(hint);
    },
    waitFor: (match) =>
      new Promise((res, rej) => {
        const seen = hints.find(match);
        if (seen) return res(seen);
        waiters.push({ match, res });
        setTimeout(() => rej(new Error(`no matching hint within 1 s; got ${JSON.stringify(hints)}`)), 1000);
      }),
  };
}

describe('LocalReplica.watch', () => {
  it('hints edits, creates in a new folder and deletes within a second, with one inotify watch per folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-synctree-watch-'));
    dirs.push(root);
    for (let d = 0; d < 5; d++) {
      mkdirSync(join(root, `d${d}/sub`), { recursive: true });
      for (let f = 0; f < 20; f++) writeFileSync(join(root, `d${d}/sub/f${f}`), 'x');
    }
    const r = new LocalReplica({ root, side: 'local' });
    await r.scan({ ignore: ['ignored/'] });
    mkdirSync(join(root, 'ignored/deep'), { recursive: true });
    await r.identity(); // .berth-sync exists and is never watched
    const baseline = inotifyWatches();
    const h = hintLog();
    const stop = await r.watch(h.on);
    const has = (path: string) => (hint: WatchHint) => 'paths' in hint && hint.paths.includes(path);
    try {
      // root + 5 dN + 5 dN/sub: 11 folders, 100 files, one watch per folder
      expect(r.watchCount()).toBe(11);
      expect(inotifyWatches() - baseline).toBe(11);

      writeFileSync(join(root, 'd2/sub/f3'), 'edited');
      await h.waitFor(has('d2/sub/f3'));

      mkdirSync(join(root, 'new'));
      writeFileSync(join(root, 'new/early'), '1');
      await h.waitFor(has('new'));
      await new Promise((res) => setTimeout(res, 100));
      expect(r.watchCount()).toBe(12);
      writeFileSync(join(root, 'new/later'), '2');
      await h.waitFor(has('new/later'));

      unlinkSync(join(root, 'd4/sub/f0'));
      await h.waitFor(has('d4/sub/f0'));

      rmSync(join(root, 'd1'), { recursive: true });
      await h.waitFor(has('d1'));
      await new Promise((res) => setTimeout(res, 100));
      expect(r.watchCount()).toBe(10);

      writeFileSync(join(root, '.berth-sync/noise'), 'x');
      writeFileSync(join(root, 'ignored/deep/noise'), 'x');
      await new Promise((res) => setTimeout(res, 200));
      const all = h.hints.flatMap((x) => ('paths' in x ? x.paths : []));
      expect(all.some((p) => p.startsWith('.berth-sync') || p.startsWith('ignored/'))).toBe(false);
    } finally {
      stop();
      await r.close();
    }
    expect(inotifyWatches() - baseline).toBe(0);
  });
});
