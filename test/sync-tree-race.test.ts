import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileEntry } from '../src/workspace/sync-tree/entry.js';
import { LocalReplica } from '../src/workspace/sync-tree/local-replica.js';
import type { ContentChunk } from '../src/workspace/sync-tree/replica.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The racer rewrites the target in place, version after version, as an editor that saves
 * with O_TRUNC would. It logs a version as superseded only when it overwrote that very
 * version itself (same bytes still there when it opened the file): those are the racer's own
 * losses. Every other version it wrote must survive somewhere.
 */
const RACER = `
const fs = require('fs');
const [target, stop, log] = process.argv.slice(1);
const wrote = [], superseded = [];
for (let k = 1; !fs.existsSync(stop); k++) {
  const fd = fs.openSync(target, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  const cur = fs.readFileSync(fd, 'utf8');
  if (cur === 'racer ' + (k - 1)) superseded.push(k - 1);
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, 'racer ' + k, 0);
  fs.closeSync(fd);
  wrote.push(k);
}
fs.writeFileSync(log, JSON.stringify({ wrote, superseded }));
`;

function contentsUnder(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.add(readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('rename-aside against a concurrent writer', () => {
  it('200 puts replacing a file that another process keeps rewriting lose none of its versions', async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-synctree-race-'));
    dirs.push(root);
    const r = new LocalReplica({ root, side: 'container' });
    const target = join(root, 'hot.txt');
    writeFileSync(target, 'start');
    const stop = join(root, '.berth-sync-stop');
    const log = join(tmpdir(), `berth-synctree-racelog-${process.pid}`);
    dirs.push(log);
    const racer = spawn(process.execPath, ['-e', RACER, target, stop, log], { stdio: 'inherit' });
    const exited = new Promise<number | null>((res) => racer.on('exit', res));
    const outcomes: Record<string, number> = {};
    try {
      await new Promise((res) => setTimeout(res, 100));
      for (let i = 0; i < 200; i++) {
        const mine = `put ${i}`;
        async function* one(): AsyncGenerator<ContentChunk> {
          yield { digest: sha(mine), data: Buffer.from(mine), last: true };
        }
        await r.stage(one());
        let expectEntry: FileEntry | null = null;
        try {
          const content = readFileSync(target);
          const mode = lstatSync(target).mode & 0o777;
          expectEntry = { kind: 'file', mode, size: content.length, digest: sha(content) };
        } catch {
          expectEntry = null;
        }
        const [res] = await r.apply([
          {
            op: 'put',
            path: 'hot.txt',
            expect: expectEntry,
            entry: { kind: 'file', mode: 0o644, size: mine.length, digest: sha(mine) },
          },
        ]);
        const key = res!.ok ? 'ok' : res!.reason;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        expect(key === 'ok' || key === 'changed').toBe(true);
      }
    } finally {
      writeFileSync(stop, '');
      await exited;
      await r.close();
    }
    rmSync(stop);
    const { wrote, superseded } = JSON.parse(readFileSync(log, 'utf8')) as {
      wrote: number[];
      superseded: number[];
    };
    const own = new Set(superseded);
    const found = contentsUnder(root);
    const lost = wrote.filter((k) => !own.has(k) && !found.has(`racer ${k}`));
    console.log(
      `racer wrote ${wrote.length} versions (${own.size} overwritten by itself); puts: ${JSON.stringify(outcomes)}`,
    );
    expect(wrote.length).toBeGreaterThan(50);
    expect(outcomes.ok ?? 0).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    expect(existsSync(log)).toBe(true);
  }, 120_000);
});
