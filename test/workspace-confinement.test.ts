import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError } from '../src/errors.js';
import { Workspace } from '../src/workspace/workspace.js';
import { makeTempDir } from './helpers/test-hub.js';

let base: string;
let root: string;
let outside: string;
let ws: Workspace;
const errors: string[] = [];

function refusal(op: () => unknown): BerthError {
  try {
    op();
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    errors.push(err.message);
    return err;
  }
  throw new Error('expected a refusal, but the operation succeeded');
}

beforeEach(() => {
  base = makeTempDir();
  root = join(base, 'proj');
  outside = join(base, 'outside');
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(base, 'proj2'));
  mkdirSync(outside);
  writeFileSync(join(root, 'src', 'a.txt'), 'inside\n');
  writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE\n');
  writeFileSync(join(base, 'proj2', 'sibling.txt'), 'SIBLING\n');
  ws = new Workspace(root);
});

afterEach(() => {
  // no error message ever carries a host path
  for (const message of errors.splice(0)) {
    expect(message).not.toContain(base);
    expect(message).not.toContain('/proc/self');
  }
  rmSync(base, { recursive: true, force: true });
});

describe('path confinement', () => {
  it('refuses ../ escapes, absolute paths and NUL bytes', () => {
    expect(refusal(() => ws.readText('../outside/secret.txt')).code).toBe('PATH_REFUSED');
    expect(refusal(() => ws.readText('src/../../outside/secret.txt')).code).toBe('PATH_REFUSED');
    expect(refusal(() => ws.readText(join(outside, 'secret.txt'))).message).toMatch(/is absolute/);
    expect(refusal(() => ws.readText('src/a.txt\0.png')).message).toMatch(/NUL byte/);
    expect(refusal(() => ws.writeText('../escape.txt', 'x')).code).toBe('PATH_REFUSED');
    expect(existsSync(join(base, 'escape.txt'))).toBe(false);
    // an inner .. that stays inside is fine
    expect(ws.readText('src/../src/a.txt').content).toBe('inside\n');
  });

  it('refuses sibling-prefix paths: proj2 is not reachable from proj', () => {
    refusal(() => ws.readText('../proj2/sibling.txt'));
    symlinkSync('../proj2', join(root, 'sib'));
    symlinkSync(join(base, 'proj2'), join(root, 'sib-abs'));
    refusal(() => ws.readText('sib/sibling.txt'));
    refusal(() => ws.readText('sib-abs/sibling.txt'));
    refusal(() => ws.writeText('sib/new.txt', 'x'));
    expect(readdirSync(join(base, 'proj2'))).toEqual(['sibling.txt']);
  });

  it('refuses links to a file or folder outside, and as the parent of a new file', () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'leak'));
    symlinkSync(outside, join(root, 'leakdir'));
    expect(refusal(() => ws.readText('leak')).message).toBe(
      'path "leak" is a symbolic link to a place outside the project',
    );
    refusal(() => ws.readText('leakdir/secret.txt'));
    refusal(() => ws.writeText('leakdir/new.txt', 'x'));
    refusal(() => ws.writeText('leakdir/deeper/new.txt', 'x'));
    refusal(() => ws.edit('leak', [{ oldText: 'OUTSIDE', newText: 'pwned' }], false));
    refusal(() => ws.remove('leakdir/secret.txt'));
    refusal(() => ws.move('src/a.txt', 'leakdir/a.txt'));
    refusal(() => ws.list('leakdir', { max: 10, gitignore: true }));
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE\n');
  });

  it('follows links that stay inside, relative or under /workspace', () => {
    symlinkSync('src/a.txt', join(root, 'rel'));
    symlinkSync('/workspace/src', join(root, 'ws-src'));
    expect(ws.readText('rel').content).toBe('inside\n');
    expect(ws.readText('ws-src/a.txt').content).toBe('inside\n');
    ws.writeText('ws-src/b.txt', 'via link\n');
    expect(readFileSync(join(root, 'src', 'b.txt'), 'utf8')).toBe('via link\n');
  });

  it('a write replaces an existing link instead of following it', () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'leak'));
    symlinkSync('src/a.txt', join(root, 'inner'));
    ws.writeText('leak', 'replaced\n');
    ws.writeText('inner', 'replaced too\n');
    expect(lstatSync(join(root, 'leak')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(root, 'leak'), 'utf8')).toBe('replaced\n');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE\n');
    expect(readFileSync(join(root, 'src', 'a.txt'), 'utf8')).toBe('inside\n');
  });

  it('refuses to write to a file that has a hard link outside the root', () => {
    linkSync(join(outside, 'secret.txt'), join(root, 'hard.txt'));
    expect(refusal(() => ws.writeText('hard.txt', 'pwned')).message).toMatch(/has other hard links/);
    refusal(() => ws.edit('hard.txt', [{ oldText: 'OUTSIDE', newText: 'pwned' }], false));
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE\n');
  });

  it('gives an error for symlink loops, not a hang', () => {
    symlinkSync('b', join(root, 'a'));
    symlinkSync('a', join(root, 'b'));
    symlinkSync('self', join(root, 'self'));
    const started = Date.now();
    expect(refusal(() => ws.readText('a')).message).toMatch(/too many symbolic links \(a loop\?\)/);
    refusal(() => ws.readText('self/x'));
    refusal(() => ws.writeText('a/new.txt', 'x'));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not block on a FIFO and does not list or search through links', async () => {
    execFileSync('mkfifo', [join(root, 'pipe')]);
    expect(refusal(() => ws.readText('pipe')).code).toBe('NOT_A_FILE');
    symlinkSync(outside, join(root, 'leakdir'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'leak'));
    const { entries } = ws.list('', { max: 100, gitignore: true });
    expect(entries.filter((e) => e.path.startsWith('leak'))).toEqual([
      { path: 'leak', type: 'symlink', size: 0 },
      { path: 'leakdir', type: 'symlink', size: 0 },
    ]);
    const found = await ws.search({ query: 'OUTSIDE', regex: false, maxResults: 10, gitignore: true });
    expect(found.matches).toEqual([]);
  });

  it('deleting a link removes the link, never its target', () => {
    symlinkSync(outside, join(root, 'leakdir'));
    expect(ws.remove('leakdir')).toEqual({ kind: 'symlink' });
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    refusal(() => ws.remove('.'));
  });

  it('a symlink swapped in between checks cannot make a read or write land outside', async () => {
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd', 'secret.txt'), 'inside\n');
    writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE\n');
    // another process flips d between the real folder and a link to the outside, as fast as it can
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const [d, real, out] = process.argv.slice(1);
         const end = Date.now() + 2500;
         while (Date.now() < end) {
           try { fs.renameSync(d, real); fs.symlinkSync(out, d); fs.unlinkSync(d); fs.renameSync(real, d); } catch {}
         }`,
        join(root, 'd'),
        join(root, 'd.real'),
        outside,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((r) => swapper.once('exit', r));
    let reads = 0;
    let writes = 0;
    let refused = 0;
    const end = Date.now() + 2000;
    while (Date.now() < end) {
      try {
        expect(ws.readText('d/secret.txt').content).toBe('inside\n');
        reads++;
      } catch (err) {
        if (!(err instanceof BerthError)) throw err;
        refused++;
      }
      try {
        ws.writeText('d/new.txt', 'written\n');
        writes++;
      } catch (err) {
        if (!(err instanceof BerthError) && !(err as { code?: string }).code) throw err;
        refused++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await exited;
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE\n');
    // the race really ran both ways
    expect(reads + writes).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
