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

/** Every source file above runtime/: the code that must not know which engine it runs on. */
const ABOVE_RUNTIME = sources(SRC).filter((file) => !file.startsWith(join(SRC, 'runtime')));

/** The composition roots: the only files above runtime/ that name an implementation. */
const ROOTS = new Set(['app/open-berth.ts', 'index.ts']);

/** What only a runtime knows: engine names, Docker's labels and client, how commands get in. */
const ENGINE_WORDS = [
  /\brunsc\b/,
  /com\.docker\.compose/,
  /dockerode/,
  /\/run\/berth/,
  /\bRUNNER_(MOUNT|CMD)\b/,
  /\b(RunnerChannel|ShellChannel|runnerDirFor|prepareRunnerDir)\b/,
];
const TRANSPORT_IMPORTS =
  /(?:from |import\()'[./]*runtime\/(?:docker|shell)\/|(?:from |import\()'[./]*runtime\/agent\/runner-/;

function offenders(test: (line: string) => boolean, files = ABOVE_RUNTIME): string[] {
  const found: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (test(line)) found.push(`${file.slice(SRC.length)}:${i + 1}: ${line.trim()}`);
      });
  }
  return found;
}

describe('the runtime owns how commands run: nothing above runtime/ knows the engine', () => {
  it('no import of a runtime implementation or transport outside the composition roots', () => {
    const files = ABOVE_RUNTIME.filter((file) => !ROOTS.has(file.slice(SRC.length)));
    expect(offenders((line) => TRANSPORT_IMPORTS.test(line), files)).toEqual([]);
  });

  it('no engine names, Compose labels, dockerode or agent folder above runtime/', () => {
    expect(offenders((line) => ENGINE_WORDS.some((word) => word.test(line)))).toEqual([]);
  });

  it('the check itself sees what it is for', () => {
    // a test that cannot fail is a defect: the runtime's own files do hold these words
    const inside = sources(join(SRC, 'runtime'));
    expect(offenders((line) => ENGINE_WORDS.some((word) => word.test(line)), inside).length).toBeGreaterThan(
      5,
    );
    expect(
      offenders((line) => TRANSPORT_IMPORTS.test(line), [join(SRC, 'app', 'open-berth.ts')]),
    ).not.toEqual([]);
  });
});
