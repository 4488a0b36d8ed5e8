import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Lines of code (comments left out) that spell the container's workspace path. */
function spellings(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line
          .replace(/\/\/.*$/, '')
          .replace(/^\s*\*.*$/, '')
          .replace(/\/\*.*?\*\//g, '');
        if (/['"`]\/workspace\b/.test(code)) found.push(`${file.slice(SRC.length)}:${i + 1}: ${line.trim()}`);
      });
  }
  return found;
}

describe('the workspace placement is the only code that knows the container path', () => {
  it("'/workspace' is written once in src/, in workspace/placement.ts", () => {
    expect(spellings(sources(SRC))).toEqual([
      "workspace/placement.ts:4: const CONTAINER_ROOT = '/workspace';",
    ]);
  });

  it('the check finds a spelling elsewhere (it can fail)', () => {
    const probe = fileURLToPath(new URL('./fixtures/discipline/spells-workspace.ts.txt', import.meta.url));
    expect(spellings([probe])).toHaveLength(1);
  });
});
