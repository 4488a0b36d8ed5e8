import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** The folders whose code walks trees a container can write (project folders, sandboxes). */
const HOST_SIDE = ['sessions', 'hub', 'mcp', 'ops'];

/** Calls that walk or rewrite a tree by path string, following whatever links are in it. */
const PATH_WALKS =
  /\b(readdirSync|cpSync|chownSync|lchownSync|copyFileSync|lutimesSync|opendirSync|readdir|cp)\s*\(/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('host-side code walks container-writable trees only through workspace/ fd operations', () => {
  it('no path-string walk, copy or chown in sessions/, hub/, mcp/ or ops/', () => {
    const offenders: string[] = [];
    for (const folder of HOST_SIDE) {
      for (const file of sources(join(SRC, folder))) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i, lines) => {
            // a listing of a folder only berth writes (its journals, its trash) says so on the
            // line or the line before
            if (line.includes('berth-private') || lines[i - 1]?.includes('berth-private')) return;
            if (PATH_WALKS.test(line) && !line.trim().startsWith('//') && !line.trim().startsWith('*'))
              offenders.push(`${file.slice(SRC.length)}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no git process is started on a host folder: git runs only through SandboxGit', () => {
    const offenders: string[] = [];
    for (const folder of HOST_SIDE) {
      for (const file of sources(join(SRC, folder))) {
        if (
          file.endsWith('sandbox-git.ts') ||
          file.endsWith('host-branch.ts') ||
          file.endsWith('blob-stream.ts')
        )
          continue;
        const text = readFileSync(file, 'utf8');
        if (/(execFile|spawn|exec)\w*\(\s*['"]git['"]/.test(text)) offenders.push(file.slice(SRC.length));
      }
    }
    expect(offenders).toEqual([]);
  });
});
