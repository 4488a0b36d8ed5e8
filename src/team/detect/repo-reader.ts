import * as fs from 'node:fs';
import { BerthError } from '../../errors.js';
import { at, ConfinedRoot } from '../../workspace/confined-root.js';
import { listNames, lstatIn, kindOf, type EntryKind } from '../../workspace/fd-dir.js';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** The most berth reads of one file: a manifest over this is hostile or generated. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Source files are only searched for an import or a constructor; their head is enough. */
export const MAX_SOURCE_BYTES = 64 * 1024;
/** Folders with more entries than this are listed only this far. */
const MAX_LISTED = 5000;

/** A folder or file name berth accepts in an app root: no spaces, quotes or control bytes. */
export const SAFE_NAME = /^[A-Za-z0-9_@+-][A-Za-z0-9_.@+-]{0,99}$/;

/**
 * Reads a cloned repository, which is untrusted content: every read goes through ConfinedRoot
 * (fd-based, links followed only while they stay inside the repository, sizes capped), and
 * whatever cannot be read becomes a problem sentence instead of an exception, so one bad file
 * does not hide the other apps.
 */
export class RepoReader {
  readonly problems: string[] = [];
  private readonly root: ConfinedRoot;
  private readonly texts = new Map<string, string | undefined>();
  private readonly reported = new Set<string>();

  constructor(repoRoot: string) {
    this.root = new ConfinedRoot(repoRoot);
    // fails early and clearly when the folder itself is missing
    fs.closeSync(this.root.openRoot());
  }

  /**
   * The text of a manifest (`/`-separated path), or undefined when absent or refused; a file
   * over MAX_MANIFEST_BYTES is refused whole (half a package.json would mislead).
   */
  readText(path: string): string | undefined {
    return this.cached(`m:${path}`, path, () => this.root.readFile(path, MAX_MANIFEST_BYTES));
  }

  /** The first MAX_SOURCE_BYTES of a source file: enough to find an import near its top. */
  readHead(path: string): string | undefined {
    return this.cached(`h:${path}`, path, () => this.head(path, MAX_SOURCE_BYTES));
  }

  private cached(key: string, path: string, read: () => Buffer): string | undefined {
    if (this.texts.has(key)) return this.texts.get(key);
    let text: string | undefined;
    if (this.kind(path) === 'file') {
      try {
        text = read().toString('utf8');
      } catch (err) {
        this.problem(path, err);
      }
    }
    this.texts.set(key, text);
    return text;
  }

  /** What is at `path` (a link inside the repository is followed), or undefined. */
  kind(path: string): EntryKind | undefined {
    const components = path.split('/').filter((c) => c !== '');
    if (components.length === 0) return 'folder';
    try {
      const { dir, name } = this.root.locate(components, true);
      try {
        const st = lstatIn(dir.fd, name);
        return st ? kindOf(st) : undefined;
      } finally {
        fs.closeSync(dir.fd);
      }
    } catch (err) {
      if (err instanceof BerthError && (err.code === 'NOT_FOUND' || err.code === 'NOT_A_FOLDER'))
        return undefined;
      this.problem(path, err);
      return undefined;
    }
  }

  /**
   * The real sub-folders of `folder` (links are not candidates: a linked folder would be found
   * twice, or lead out), with names berth accepts; others are skipped with a problem.
   */
  subfolders(folder: string): string[] {
    let handle;
    try {
      handle = this.root.openDir(folder.split('/').filter((c) => c !== ''));
    } catch (err) {
      if (!(err instanceof BerthError && err.code === 'NOT_FOUND')) this.problem(folder || '.', err);
      return [];
    }
    try {
      const out: string[] = [];
      const names = listNames(handle.fd);
      if (names.length > MAX_LISTED)
        this.note(`${folder || '.'}: has ${names.length} entries; berth looked at the first ${MAX_LISTED}`);
      for (const raw of names.slice(0, MAX_LISTED)) {
        const name = raw.toString('utf8');
        const st = lstatIn(handle.fd, raw);
        if (st?.isSymbolicLink()) {
          if (SAFE_NAME.test(name))
            this.note(
              `${join(folder, name)}: is a symbolic link; berth does not look for apps through links`,
            );
          continue;
        }
        if (!st?.isDirectory()) continue;
        if (!SAFE_NAME.test(name) || !Buffer.from(name, 'utf8').equals(raw)) {
          this.note(`a folder in ${folder || '.'} has a name berth does not use for an app root; skipped`);
          continue;
        }
        out.push(name);
      }
      return out;
    } finally {
      fs.closeSync(handle.fd);
    }
  }

  note(sentence: string): void {
    if (this.reported.has(sentence)) return;
    this.reported.add(sentence);
    this.problems.push(sentence);
  }

  private problem(path: string, err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    this.note(`${path}: ${why}`);
  }

  private head(path: string, max: number): Buffer {
    const components = path.split('/').filter((c) => c !== '');
    const { dir, name } = this.root.locate(components, true);
    let fd: number;
    try {
      fd = fs.openSync(at(dir.fd, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } finally {
      fs.closeSync(dir.fd);
    }
    try {
      if (!fs.fstatSync(fd).isFile()) throw new BerthError('NOT_A_FILE', `"${path}" is not a regular file`);
      const buffer = Buffer.alloc(max);
      let total = 0;
      for (;;) {
        const n = fs.readSync(fd, buffer, total, max - total, null);
        if (n === 0 || total + n >= max) return buffer.subarray(0, total + n);
        total += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Joins a folder ('' = root) and a relative path with '/'. */
export function join(folder: string, path: string): string {
  return folder === '' ? path : `${folder}/${path}`;
}

/** Repository text put into evidence: control characters replaced, and at most `max` long. */
export function shown(text: string, max = 40): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}
