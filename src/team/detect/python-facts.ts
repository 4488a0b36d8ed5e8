import { join, shown, type RepoReader } from './repo-reader.js';

/** The Python distributions a folder declares, by normalized name, and where each was found. */
export interface PythonFacts {
  /** normalized name (lowercase, '-' for '_' and '.') → e.g. "requirements.txt lists Django>=4.2" */
  packages: Map<string, string>;
  /** The requirement files present. */
  files: string[];
}

const FILES = ['requirements.txt', 'pyproject.toml', 'Pipfile'];
const NAME = /^([A-Za-z0-9][A-Za-z0-9._-]*)/;

/** Reads requirements.txt, pyproject.toml and Pipfile of `folder`; undefined when none exists. */
export function readPython(reader: RepoReader, folder: string): PythonFacts | undefined {
  const packages = new Map<string, string>();
  const files: string[] = [];
  for (const file of FILES) {
    const text = reader.readText(join(folder, file));
    if (text === undefined) continue;
    files.push(file);
    const specs =
      file === 'requirements.txt'
        ? requirementLines(text)
        : file === 'Pipfile'
          ? tomlKeys(text)
          : pyprojectSpecs(text);
    for (const spec of specs) {
      const name = NAME.exec(spec)?.[1];
      if (name === undefined) continue;
      const key = normalize(name);
      if (!packages.has(key)) packages.set(key, `${file} lists ${shown(spec.trim(), 60)}`);
    }
  }
  return files.length > 0 ? { packages, files } : undefined;
}

export function normalize(name: string): string {
  return name.toLowerCase().replace(/[._]+/g, '-');
}

/** One requirement per line; comments, options (-r, -e, --index-url) and URLs are left out. */
function requirementLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('-') && !/^[a-z+]+:\/\//i.test(l));
}

/**
 * PEP 621 requirement strings ("fastapi>=0.110" in an array under a key or table named
 * `...dependencies` or `dependency-groups`) and Poetry-style keys under a `[...dependencies]`
 * table. Names are all berth needs, so no TOML parser.
 */
function pyprojectSpecs(text: string): string[] {
  const out: string[] = [];
  let table = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      table = header[1]!.trim();
      continue;
    }
    const array = /^\s*([A-Za-z0-9_.-]+)\s*=\s*\[/.exec(line);
    if (!array) continue;
    const wanted = /dependencies$/.test(array[1]!) || /(dependencies|dependency-groups)$/.test(table);
    if (!wanted) continue;
    const rest = [line.slice(array[0].length), ...lines.slice(i + 1, i + 200)].join('\n');
    out.push(...quotedUntilClose(rest));
  }
  return [...out, ...tomlKeys(text, /dependencies$/)];
}

/** The quoted strings before the array's closing bracket (brackets inside quotes do not count). */
function quotedUntilClose(text: string): string[] {
  const out: string[] = [];
  let quote = '';
  let current = '';
  for (const ch of text) {
    if (quote !== '') {
      if (ch === quote) {
        out.push(current);
        quote = '';
        current = '';
      } else current += ch;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ']') break;
  }
  return out;
}

/** Keys of the TOML tables whose header matches `table` (Pipfile: [packages], [dev-packages]). */
function tomlKeys(text: string, table = /^(dev-)?packages$/): string[] {
  const out: string[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      inTable = table.test(header[1]!.trim());
      continue;
    }
    const key = inTable ? /^\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*=/.exec(line) : null;
    if (key && key[1] !== 'python') out.push(key[1]!);
  }
  return out;
}
