import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyTreeFds, copyTreeFdsAsync } from '../src/workspace/tree-copy.js';

const { O_RDONLY, O_DIRECTORY } = fs.constants;
const base = fs.mkdtempSync(join(tmpdir(), 'berth-tree-copy-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const openDir = (path: string) => fs.openSync(path, O_RDONLY | O_DIRECTORY);
const fdCount = () => fs.readdirSync('/proc/self/fd').length;

/** Every entry below `root` as [path, kind, mode, mtime in seconds, content or link text]. */
function listing(root: Buffer): string[] {
  const out: string[] = [];
  const walk = (dir: Buffer, rel: string) => {
    for (const name of fs.readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const path = Buffer.concat([dir, Buffer.from('/'), name]);
      const shown = `${rel}/${name.toString('hex')}`;
      const st = fs.lstatSync(path);
      const head = `${shown} ${st.mode.toString(8)} ${Math.floor(st.mtimeMs / 1000)}`;
      if (st.isDirectory()) {
        out.push(`${head} dir`);
        walk(path, shown);
      } else if (st.isSymbolicLink())
        out.push(`${head} -> ${fs.readlinkSync(path, 'buffer').toString('hex')}`);
      else if (st.isFile()) out.push(`${head} ${fs.readFileSync(path).toString('base64')}`);
      else out.push(`${head} other`);
    }
  };
  walk(root, '');
  return out;
}

function makeTree(root: string): void {
  fs.mkdirSync(join(root, 'pub/deep/er'), { recursive: true });
  fs.mkdirSync(join(root, 'private'));
  fs.writeFileSync(join(root, 'empty'), '');
  fs.writeFileSync(join(root, 'four'), Buffer.alloc(4096, 'k'));
  const big = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  fs.writeFileSync(join(root, 'pub/big.bin'), big);
  fs.writeFileSync(join(root, 'private/key'), 'secret-ish', { mode: 0o600 });
  fs.chmodSync(join(root, 'private/key'), 0o600);
  fs.writeFileSync(join(root, 'pub/deep/run.sh'), '#!/bin/sh\n');
  fs.chmodSync(join(root, 'pub/deep/run.sh'), 0o755);
  fs.writeFileSync(Buffer.from(`${root}/pub/na\xffme`, 'latin1'), 'not utf-8');
  fs.symlinkSync('../four', join(root, 'pub/link'));
  fs.symlinkSync('/etc/passwd', join(root, 'abs-link'));
  execFileSync('mkfifo', [join(root, 'pub/fifo')]);
  for (let i = 0; i < 50; i++) fs.writeFileSync(join(root, 'pub/deep/er', `f${i}`), `${i}\n`.repeat(i));
  const old = new Date('2001-02-03T04:05:06Z');
  for (const p of [
    'four',
    'pub/big.bin',
    'pub/deep/run.sh',
    'private/key',
    'pub/deep/er',
    'pub/deep',
    'private',
  ]) {
    fs.utimesSync(join(root, p), old, old);
  }
  fs.lutimesSync(join(root, 'pub/link'), old, old);
  fs.chmodSync(join(root, 'private'), 0o700);
  fs.chmodSync(join(root, 'pub/deep'), 0o755);
  fs.chmodSync(join(root, 'pub/deep/er'), 0o555);
  fs.utimesSync(join(root, 'pub'), old, old);
}

async function copyBoth(src: string, tag: string) {
  const outSync = join(base, `${tag}-sync`);
  const outAsync = join(base, `${tag}-async`);
  fs.mkdirSync(outSync);
  fs.mkdirSync(outAsync);
  const s = openDir(src);
  const d1 = openDir(outSync);
  const d2 = openDir(outAsync);
  try {
    const entriesSync: string[] = [];
    const entriesAsync: string[] = [];
    const sync = copyTreeFds(s, d1, {
      onEntry: (p, k, m) => entriesSync.push(`${p.toString('hex')} ${k} ${m}`),
    });
    const before = fdCount();
    const async = await copyTreeFdsAsync(s, d2, {
      concurrency: 3,
      onEntry: (p, k, m) => entriesAsync.push(`${p.toString('hex')} ${k} ${m}`),
    });
    expect(fdCount()).toBe(before);
    return { sync, async, outSync, outAsync, entriesSync, entriesAsync };
  } finally {
    for (const fd of [s, d1, d2]) fs.closeSync(fd);
  }
}

describe('copyTreeFdsAsync', () => {
  it('gives the same tree and report as copyTreeFds: sizes, modes, links, a FIFO, a non-UTF-8 name, times', async () => {
    const src = join(base, 'tree');
    makeTree(src);
    const r = await copyBoth(src, 'tree');
    expect(r.async).toEqual({
      ...r.sync,
      skipped: [...r.sync.skipped].sort(),
      changed: [...r.sync.changed].sort(),
    });
    expect(r.async.skipped).toEqual(['pub/fifo']);
    expect(r.async.changed).toEqual([]);
    expect(r.async.files).toBe(56);
    expect([...r.entriesAsync].sort()).toEqual([...r.entriesSync].sort());
    const want = listing(Buffer.from(src));
    expect(listing(Buffer.from(r.outAsync))).toEqual(want.filter((line) => !line.endsWith(' other')));
    expect(listing(Buffer.from(r.outAsync))).toEqual(listing(Buffer.from(r.outSync)));
    expect(fs.statSync(join(r.outAsync, 'private')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(join(r.outAsync, 'private/key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(join(r.outAsync, 'pub/deep/er')).mode & 0o777).toBe(0o555);
    expect(Math.floor(fs.statSync(join(r.outAsync, 'pub')).mtimeMs / 1000)).toBe(981173106);
    expect(fs.readlinkSync(join(r.outAsync, 'abs-link'))).toBe('/etc/passwd');
  });

  it('fails as a whole on an error that is not a change, after closing every fd it opened', async () => {
    const src = join(base, 'fail-src');
    fs.mkdirSync(join(src, 'a/b'), { recursive: true });
    for (let i = 0; i < 40; i++) fs.writeFileSync(join(src, 'a/b', `f${i}`), 'x');
    fs.writeFileSync(join(src, 'a/zz'), 'x');
    const dst = join(base, 'fail-dst');
    fs.mkdirSync(join(dst, 'a'), { recursive: true }); // mkdir of `a` fails with EEXIST
    const s = openDir(src);
    const d = openDir(dst);
    const before = fdCount();
    await expect(copyTreeFdsAsync(s, d)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(fdCount()).toBe(before);
    fs.rmSync(dst, { recursive: true });
    fs.mkdirSync(dst);
    fs.writeFileSync(join(dst, 'zz'), 'x'); // a file job fails (EEXIST on the O_EXCL create)
    fs.renameSync(join(src, 'a/zz'), join(src, 'zz'));
    const d2 = openDir(dst);
    const before2 = fdCount();
    await expect(copyTreeFdsAsync(s, d2, { concurrency: 2 })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(fdCount()).toBe(before2);
    for (const fd of [s, d, d2]) fs.closeSync(fd);
  });

  it('never follows a folder a racer swaps for a link to a host-only folder (30 copies)', async () => {
    const root = join(base, 'race');
    const project = join(root, 'project');
    const secret = join(root, 'secret');
    fs.mkdirSync(secret, { recursive: true });
    fs.writeFileSync(join(secret, 'f1.txt'), 'TOPSECRET-tree-copy');
    for (const sub of ['a', 'b']) {
      fs.mkdirSync(join(project, sub), { recursive: true });
      for (let i = 0; i < 100; i++) fs.writeFileSync(join(project, sub, `f${i}.txt`), `${sub}${i}\n`);
    }
    const loop = ['a', 'b']
      .map((s) => `mv ${s} ${s}.x; ln -s ${secret} ${s}; rm -f ${s}; mv ${s}.x ${s};`)
      .join(' ');
    const racer = spawn('/bin/sh', ['-c', `while :; do ${loop} done`], { cwd: project, stdio: 'ignore' });
    try {
      for (let round = 0; round < 30; round++) {
        const dst = join(root, `copy${round}`);
        fs.mkdirSync(dst);
        const s = openDir(project);
        const d = openDir(dst);
        try {
          const before = fdCount();
          const report = await copyTreeFdsAsync(s, d);
          expect(fdCount()).toBe(before);
          expect(report.changed.every((p) => /^[ab](\.x)?(\/|$)/.test(p))).toBe(true);
        } finally {
          fs.closeSync(s);
          fs.closeSync(d);
        }
        const all = execFileSync('find', [dst, '-type', 'f', '-exec', 'cat', '{}', '+']).toString();
        expect(all).not.toContain('TOPSECRET');
      }
    } finally {
      racer.kill('SIGKILL');
    }
  });
});
