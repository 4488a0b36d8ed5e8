import { closeSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfinedRoot } from '../src/workspace/confined-root.js';
import { linkTargetInside } from '../src/workspace/link-resolution.js';
import { makeTempDir } from './helpers/test-hub.js';

let base: string;
let root: string;
let confined: ConfinedRoot;
const whys: string[] = [];

function inside(link: string, target: string): string[] {
  const r = linkTargetInside(confined, link.split('/'), target);
  if (!r.inside) throw new Error(`expected ${link} -> ${target} to be inside, but: ${r.why}`);
  return r.resolved;
}

function outsideWhy(link: string, target: string): string {
  const r = linkTargetInside(confined, link.split('/'), target);
  if (r.inside)
    throw new Error(`expected ${link} -> ${target} to be refused, but it resolves to ${r.resolved}`);
  whys.push(r.why);
  return r.why;
}

beforeEach(() => {
  // root at base/nest/proj: two steps above it is base, where "outside" is
  base = makeTempDir();
  root = join(base, 'nest', 'proj');
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(join(root, '.git', 'hooks'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(root, 'src', 'a.txt'), 'inside\n');
  writeFileSync(join(base, 'outside', 'target.txt'), 'OUTSIDE\n');
  symlinkSync('.', join(root, 'd'));
  symlinkSync('a/b', join(root, 'deep'));
  symlinkSync('.git', join(root, 'docs'));
  symlinkSync('/etc', join(root, 'etc'));
  confined = new ConfinedRoot(root);
});

afterEach(() => {
  for (const why of whys.splice(0)) {
    expect(why).not.toContain(base);
    expect(why).not.toContain('/proc/self');
  }
  rmSync(base, { recursive: true, force: true });
});

describe('linkTargetInside', () => {
  it('judges by the kernel, not the text: d -> . then d/d/../.. is above the root', () => {
    symlinkSync('d/d/../../outside/target.txt', join(root, 'L'));
    expect(readFileSync(join(root, 'L'), 'utf8')).toBe('OUTSIDE\n');
    expect(outsideWhy('L', 'd/d/../../outside/target.txt')).toBe(
      'path "L" is a symbolic link to a place outside the project',
    );
    expect(outsideWhy('src/L', '../d/d/../x')).toMatch(/outside the project/);
  });

  it('resolves in-root targets to physical components, from the link’s own folder', () => {
    expect(inside('L', 'src/a.txt')).toEqual(['src', 'a.txt']);
    expect(inside('a/b/L', '../../src/a.txt')).toEqual(['src', 'a.txt']);
    // deep is a/b, so deep/.. is a
    expect(inside('L', 'deep/../x.txt')).toEqual(['a', 'x.txt']);
    // the link's folder is where its parent's links lead: deep/L lives in a/b
    expect(inside('deep/L', '../../src')).toEqual(['src']);
    expect(inside('L', 'd/d/src/./a.txt')).toEqual(['src', 'a.txt']);
    expect(inside('L', '.')).toEqual([]);
  });

  it('absolute targets: /workspace and below restart at the root, anything else is outside', () => {
    expect(inside('a/L', '/workspace/src/a.txt')).toEqual(['src', 'a.txt']);
    expect(inside('L', '/workspace')).toEqual([]);
    expect(inside('L', '/workspace/deep/..')).toEqual(['a']);
    expect(outsideWhy('L', '/workspace/..')).toMatch(/outside the project/);
    expect(outsideWhy('L', '/workspacex/src')).toMatch(/outside the project/);
    expect(outsideWhy('L', '/etc/passwd')).toMatch(/outside the project/);
    expect(outsideWhy('L', join(root, 'src', 'a.txt'))).toMatch(/outside the project/);
    // a target that is itself a link to the outside
    expect(outsideWhy('L', 'etc')).toBe('path "etc" is a symbolic link to a place outside the project');
    expect(outsideWhy('L', '../../outside')).toMatch(/outside the project/);
  });

  it('dangling targets are inside unless a .. follows the missing part', () => {
    expect(inside('L', 'missing/new.txt')).toEqual(['missing', 'new.txt']);
    expect(inside('src/L', '../missing/deeper/x')).toEqual(['missing', 'deeper', 'x']);
    expect(outsideWhy('L', 'missing/../src/a.txt')).toMatch(/out of a folder that does not exist/);
    expect(outsideWhy('L', 'missing/../../x')).toMatch(/out of a folder that does not exist/);
  });

  it('a link in folders still to be made starts there: their .. is known, what is below them is text', () => {
    expect(inside('new/dir/L', '../../src/a.txt')).toEqual(['src', 'a.txt']);
    expect(inside('new/L', '../deep/../x.txt')).toEqual(['a', 'x.txt']);
    expect(inside('new/L', 'sibling.txt')).toEqual(['new', 'sibling.txt']);
    expect(inside('deep/new/L', '../x')).toEqual(['a', 'b', 'x']);
    expect(outsideWhy('new/L', '../../x')).toMatch(/outside the project/);
    expect(outsideWhy('new/L', '../d/d/../../outside')).toMatch(/outside the project/);
    expect(outsideWhy('new/L', 'sub/../x')).toMatch(/out of a folder that does not exist/);
    expect(outsideWhy('new/L', '.git/x')).toMatch(/reaches into \.git/);
    expect(outsideWhy('new/L', '../docs/x')).toMatch(/reaches into \.git/);
  });

  it('refuses loops', () => {
    symlinkSync('l2', join(root, 'l1'));
    symlinkSync('l1', join(root, 'l2'));
    expect(outsideWhy('L', 'l1')).toMatch(/too many symbolic links \(a loop\?\)/);
    expect(outsideWhy('L', 'd/d/d/l2/x')).toMatch(/a loop/);
  });

  it('refuses anything through .git, in any case, and links in or named .git', () => {
    expect(outsideWhy('L', '.git/hooks')).toMatch(/reaches into \.git/);
    expect(outsideWhy('L', './.GIT/')).toMatch(/reaches into \.git/);
    expect(outsideWhy('L', 'docs/hooks/pre-commit')).toMatch(/reaches into \.git/);
    expect(outsideWhy('L', '/workspace/.git/config')).toMatch(/reaches into \.git/);
    expect(outsideWhy('.git/hooks/L', '../../src/a.txt')).toMatch(/reaches into \.git/);
    expect(outsideWhy('.git', 'src')).toMatch(/reaches into \.git/);
    expect(outsideWhy('L', 'missing/.git/x')).toMatch(/reaches into \.git/);
  });

  it('refuses a target through a file, and empty targets', () => {
    expect(outsideWhy('L', 'src/a.txt/x')).toBe('"src/a.txt" is a file, not a folder');
    expect(outsideWhy('L', '')).toMatch(/invalid target/);
  });
});

describe('the walk', () => {
  it('leaves no descriptor open, whether it resolves or refuses', () => {
    symlinkSync('l2', join(root, 'l1'));
    symlinkSync('l1', join(root, 'l2'));
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let n = 0; n < 20; n++) {
      for (const [link, target] of [
        ['L', 'src/a.txt'],
        ['a/b/L', '../../src/a.txt'],
        ['new/dir/L', '../../src/a.txt'],
        ['new/L', 'sub/../x'],
        ['L', 'd/d/../../outside'],
        ['L', 'l1'],
        ['L', 'docs/hooks'],
        ['L', 'src/a.txt/x'],
        ['L', '/workspace/deep/..'],
      ] as const) {
        linkTargetInside(confined, link.split('/'), target);
      }
      for (const path of ['src/a.txt', 'deep/../x', 'l1', 'docs/config', 'd/d/src/a.txt', 'new/x']) {
        try {
          confined.readFile(path, 1024);
        } catch {
          // refusals and misses both count here
        }
      }
      closeSync(confined.openDir(['deep']).fd);
      closeSync(confined.locate(['deep', 'x'], false, true).dir.fd);
    }
    expect(open()).toBe(before);
  });
});
