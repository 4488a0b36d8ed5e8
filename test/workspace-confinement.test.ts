import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BerthError } from '../src/errors.js';
import { Workspace } from '../src/workspace/workspace.js';
import { WorkspacePlacement } from '../src/workspace/placement.js';
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
  ws = new Workspace(WorkspacePlacement.bind(root));
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

/** Every file under `dir` with its bytes (links as their targets), to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, path));
      if (st.isSymbolicLink()) out[path] = `-> ${readlinkSync(join(dir, path))}`;
      else if (st.isDirectory()) {
        out[`${path}/`] = '';
        visit(path);
      } else out[path] = readFileSync(join(dir, path), 'utf8');
    }
  };
  visit('');
  return out;
}

describe('links resolved as the kernel resolves them', () => {
  // root at base/nest/proj so that two steps above it land in base, where "outside" is
  let nested: string;
  let nws: Workspace;
  beforeEach(() => {
    nested = join(base, 'nest', 'proj');
    mkdirSync(join(nested, 'src'), { recursive: true });
    mkdirSync(join(nested, 'a', 'b'), { recursive: true });
    mkdirSync(join(nested, 'outside'));
    writeFileSync(join(nested, 'src', 'a.txt'), 'inside\n');
    writeFileSync(join(nested, 'outside', 'target.txt'), 'decoy inside the root\n');
    writeFileSync(join(nested, 'x.txt'), 'x in the root\n');
    writeFileSync(join(nested, 'a', 'x.txt'), 'x in a\n');
    writeFileSync(join(outside, 'target.txt'), 'OUTSIDE TARGET\n');
    symlinkSync('.', join(nested, 'd'));
    symlinkSync('a/b', join(nested, 'deep'));
    nws = new Workspace(WorkspacePlacement.bind(nested));
  });

  it('d -> . does not let d/d/../.. climb out, though the text says it stays inside', () => {
    symlinkSync('d/d/../../outside/target.txt', join(nested, 'L'));
    // the kernel's answer, to be sure the test means what it says
    expect(readFileSync(join(nested, 'L'), 'utf8')).toBe('OUTSIDE TARGET\n');
    expect(refusal(() => nws.readText('L')).message).toBe(
      'path "L" is a symbolic link to a place outside the project',
    );
    refusal(() => nws.edit('L', [{ oldText: 'OUTSIDE', newText: 'pwned' }], false));
    symlinkSync('d/d/../../outside', join(nested, 'Ldir'));
    refusal(() => nws.writeText('Ldir/new.txt', 'x'));
    refusal(() => nws.list('Ldir', { max: 10, gitignore: false }));
    refusal(() => nws.remove('Ldir/target.txt'));
    expect(readdirSync(outside).sort()).toEqual(['secret.txt', 'target.txt']);
    expect(readFileSync(join(outside, 'target.txt'), 'utf8')).toBe('OUTSIDE TARGET\n');
  });

  it('follows a chain of links with .. that the kernel resolves inside, to the same bytes', () => {
    symlinkSync('../..', join(nested, 'a', 'b', 'back'));
    symlinkSync('deep/back/src/../src/a.txt', join(nested, 'chain'));
    symlinkSync('deep/../x.txt', join(nested, 't'));
    symlinkSync('d/d/src/a.txt', join(nested, 'dd'));
    for (const path of ['chain', 't', 'dd', 'deep/back/x.txt', 'deep/../x.txt']) {
      expect(nws.readText(path).content, path).toBe(readFileSync(join(nested, path), 'utf8'));
    }
    // deep/.. is a, not the root: the kernel's answer, not the text's
    expect(nws.readText('t').content).toBe('x in a\n');
    nws.writeText('deep/back/src/written.txt', 'through links\n');
    expect(readFileSync(join(nested, 'src', 'written.txt'), 'utf8')).toBe('through links\n');
  });

  it('absolute targets: /workspace and below are the root, anything else is outside', () => {
    symlinkSync('/workspace/deep/../x.txt', join(nested, 'ws-up'));
    symlinkSync('/workspace', join(nested, 'ws-root'));
    symlinkSync('/workspace/../proj/src/a.txt', join(nested, 'ws-escape'));
    symlinkSync('/workspacex/src/a.txt', join(nested, 'ws-prefix'));
    symlinkSync(join(nested, 'src', 'a.txt'), join(nested, 'host-inside'));
    symlinkSync(join(outside, 'target.txt'), join(nested, 'host-outside'));
    expect(nws.readText('ws-up').content).toBe('x in a\n');
    expect(nws.readText('ws-root/src/a.txt').content).toBe('inside\n');
    for (const path of ['ws-escape', 'ws-prefix', 'host-inside', 'host-outside']) {
      expect(refusal(() => nws.readText(path)).message, path).toBe(
        `path "${path}" is a symbolic link to a place outside the project`,
      );
    }
  });

  it('dangling targets: plain names may be created, a .. after a missing folder is refused', () => {
    symlinkSync('missing/new.txt', join(nested, 'dang'));
    symlinkSync('newdir', join(nested, 'dangdir'));
    symlinkSync('missing/../src/a.txt', join(nested, 'dang-up'));
    symlinkSync('missing/../newdir2', join(nested, 'dangdir-up'));
    expect(refusal(() => nws.readText('dang')).code).toBe('NOT_FOUND');
    nws.writeText('dangdir/x.txt', 'created\n');
    expect(readFileSync(join(nested, 'newdir', 'x.txt'), 'utf8')).toBe('created\n');
    expect(refusal(() => nws.readText('dang-up')).code).toBe('PATH_REFUSED');
    expect(refusal(() => nws.writeText('dangdir-up/x.txt', 'x')).code).toBe('PATH_REFUSED');
    expect(existsSync(join(nested, 'missing'))).toBe(false);
    expect(existsSync(join(nested, 'newdir2'))).toBe(false);
  });

  it('refuses link loops, including ones through folders', () => {
    symlinkSync('l2/x', join(nested, 'l1'));
    symlinkSync('l1', join(nested, 'l2'));
    symlinkSync('d/deeper', join(nested, 'deeper'));
    expect(refusal(() => nws.readText('l1')).message).toMatch(/too many symbolic links \(a loop\?\)/);
    refusal(() => nws.writeText('deeper/x.txt', 'x'));
    refusal(() => nws.list('deeper', { max: 10, gitignore: false }));
  });
});

describe('.git is out of reach of the file tools', () => {
  let before: Record<string, string>;
  beforeEach(() => {
    mkdirSync(join(root, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(root, '.git', 'config'), '[core]\n\tbare = false\n');
    writeFileSync(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    mkdirSync(join(root, 'vendor', 'lib', '.git'), { recursive: true });
    writeFileSync(join(root, 'vendor', 'lib', '.git', 'config'), '[core]\n');
    symlinkSync('.git', join(root, 'docs'));
    symlinkSync('./.git/', join(root, 'docs2'));
    symlinkSync('/workspace/.git/config', join(root, 'cfg'));
    before = snapshot(root);
  });
  afterEach(() => {
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses reads, also in other cases and through links', () => {
    for (const path of [
      '.git/config',
      '.GIT/config',
      '.Git/HEAD',
      'docs/config',
      'docs2/config',
      'cfg',
      'vendor/lib/.git/config',
    ]) {
      expect(refusal(() => ws.readText(path)).code, path).toBe('PATH_REFUSED');
    }
    expect(refusal(() => ws.readText('.git/config')).message).toBe(
      'path ".git/config" reaches into .git; berth\'s file tools do not read or change git\'s own files',
    );
    expect(refusal(() => ws.readText('.git')).code).toBe('PATH_REFUSED');
  });

  it('refuses writes and edits, and creating a .git anywhere', () => {
    for (const path of [
      '.git/hooks/x',
      '.git/config',
      '.GIT/hooks/x',
      'docs/hooks/pre-commit',
      'docs2/config',
      'docs2/hooks/new/x',
      '.git',
      'src/.git/config',
      'sub/.git',
    ]) {
      expect(refusal(() => ws.writeText(path, '#!/bin/sh\necho pwned\n')).code, path).toBe('PATH_REFUSED');
    }
    refusal(() => ws.edit('.git/config', [{ oldText: 'false', newText: 'true' }], false));
    refusal(() => ws.edit('cfg', [{ oldText: 'false', newText: 'true' }], false));
    expect(existsSync(join(root, 'sub'))).toBe(false);
  });

  it('refuses listing, deleting and moving into or out of it', () => {
    refusal(() => ws.list('.git', { max: 10, gitignore: false }));
    refusal(() => ws.list('docs', { max: 10, gitignore: false }));
    refusal(() => ws.list('docs2/hooks', { max: 10, gitignore: false }));
    const all = ws.list('', { max: 100, gitignore: false }).entries.map((e) => e.path);
    expect(all.filter((p) => /\.git(\/|$)/i.test(p))).toEqual([]);
    refusal(() => ws.remove('.git'));
    refusal(() => ws.remove('.git/config'));
    refusal(() => ws.remove('docs/config'));
    refusal(() => ws.remove('vendor'));
    refusal(() => ws.remove('vendor/lib'));
    refusal(() => ws.move('src/a.txt', '.git/hooks/post-checkout'));
    refusal(() => ws.move('src/a.txt', 'docs/hooks/post-checkout'));
    refusal(() => ws.move('src/a.txt', '.git'));
    refusal(() => ws.move('.git', 'notgit'));
    refusal(() => ws.move('.git/config', 'config'));
  });
});
