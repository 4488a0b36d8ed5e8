import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Calls that walk, remove or rewrite a tree by path string, following whatever links are in it. */
const PATH_WALKS =
  /\b(readdirSync|cpSync|chownSync|lchownSync|copyFileSync|lutimesSync|opendirSync|rmSync|readdir|cp|rm)\s*\(/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every source file but those of workspace/, which holds the fd-based operations themselves. */
const HOST_SIDE = sources(SRC).filter((file) => !file.startsWith(join(SRC, 'workspace')));

describe('host-side code walks container-writable trees only through workspace/ fd operations', () => {
  it('no path-string walk, removal, copy or chown anywhere outside workspace/', () => {
    const offenders: string[] = [];
    for (const file of HOST_SIDE) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (PATH_WALKS.test(line) && !line.trim().startsWith('//') && !line.trim().startsWith('*'))
            offenders.push(`${file.slice(SRC.length)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it('no git process is started on a host folder: git runs only through SandboxGit', () => {
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      if (file.endsWith('sandbox-git.ts')) continue;
      // team/git/host-git.ts clones into a workspace no container has seen yet and fetches into a
      // team's git folder, which is berth-owned and never mounted into a container; it hardens git
      // the same way (no hooks, fsmonitor, submodules or other transports) and never touches the
      // work tree after the clone (that runs in a container: team/git/work-tree-git.ts)
      if (file === join(SRC, 'team', 'git', 'host-git.ts')) continue;
      const text = readFileSync(file, 'utf8');
      if (/(execFile|spawn|exec)\w*\(\s*['"]git['"]/.test(text)) offenders.push(file.slice(SRC.length));
    }
    expect(offenders).toEqual([]);
  });
});
