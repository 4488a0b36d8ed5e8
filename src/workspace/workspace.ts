import picomatch from 'picomatch';
import { BerthError } from '../errors.js';
import { ConfinedRoot } from './confined-root.js';
import { readSmallFileIn } from './fd-dir.js';
import { walkTree, type EntryType } from './file-walk.js';
import { regexSearch, type LineMatch } from './regex-worker.js';
import { pathComponents } from './relative-path.js';
import { applyEdits, unifiedDiff, type TextEdit } from './text-edit.js';
import { decodeText, looksBinary, sliceLines, type LineSlice } from './text-file.js';

export interface WorkspaceLimits {
  /** Largest file read_file returns whole. */
  readMaxBytes: number;
  /** Largest content write_file and edit_file accept. */
  writeMaxBytes: number;
  /** Files larger than this are skipped by search. */
  searchFileMaxBytes: number;
  /** Text searched by one regex search, in all. */
  searchTotalBytes: number;
  regexDeadlineMs: number;
}

export const DEFAULT_LIMITS: WorkspaceLimits = {
  readMaxBytes: 4 * 1024 * 1024,
  writeMaxBytes: 8 * 1024 * 1024,
  searchFileMaxBytes: 1024 * 1024,
  searchTotalBytes: 64 * 1024 * 1024,
  regexDeadlineMs: 10_000,
};

export interface ListEntry {
  path: string;
  type: EntryType;
  size: number;
}

export interface SearchResult {
  matches: LineMatch[];
  truncated: boolean;
  filesSearched: number;
}

const SHOWN_LINE_MAX = 300;

/** A project's files, with every path confined to the project root. */
export class Workspace {
  private readonly root: ConfinedRoot;

  constructor(
    rootPath: string,
    private readonly limits: WorkspaceLimits = DEFAULT_LIMITS,
  ) {
    this.root = new ConfinedRoot(rootPath);
  }

  readText(path: string, offset?: number, limit?: number): LineSlice & { bytes: number } {
    const wholeFile = offset === undefined && limit === undefined;
    // a slice of a big file is allowed; the whole of it is not
    const max = wholeFile ? this.limits.readMaxBytes : this.limits.searchTotalBytes;
    const data = this.root.readFile(path, max);
    return { ...sliceLines(decodeText(data, path), offset, limit), bytes: data.length };
  }

  writeText(path: string, content: string): { bytes: number; created: boolean } {
    const data = Buffer.from(content, 'utf8');
    this.checkWriteSize(path, data.length);
    return { bytes: data.length, ...this.root.writeFile(path, data) };
  }

  edit(path: string, edits: TextEdit[], dryRun: boolean): { diff: string; bytes: number } {
    const before = decodeText(this.root.readFile(path, this.limits.readMaxBytes), path);
    const after = applyEdits(before, edits, path);
    const data = Buffer.from(after, 'utf8');
    this.checkWriteSize(path, data.length);
    if (!dryRun && after !== before) this.root.writeFile(path, data);
    return { diff: unifiedDiff(pathComponents(path).join('/'), before, after), bytes: data.length };
  }

  list(path: string, options: { pattern?: string; max: number; gitignore: boolean }) {
    const match = options.pattern ? picomatch(options.pattern, { dot: true, basename: true }) : undefined;
    const entries: ListEntry[] = [];
    let truncated = false;
    walkTree(this.root, pathComponents(path), {
      gitignore: options.gitignore,
      visit: (e) => {
        if (match && !match(e.path)) return;
        if (entries.length >= options.max) {
          truncated = true;
          return false;
        }
        entries.push({ path: e.path, type: e.type, size: e.size });
      },
    });
    return { entries, truncated };
  }

  async search(options: {
    query: string;
    regex: boolean;
    glob?: string;
    maxResults: number;
    gitignore: boolean;
  }): Promise<SearchResult> {
    if (options.query === '')
      throw new BerthError('SEARCH_FAILED', 'the query is empty; give text to look for');
    if (options.regex) {
      try {
        new RegExp(options.query);
      } catch (err) {
        throw new BerthError(
          'SEARCH_FAILED',
          `the query is not a valid regular expression (${(err as Error).message}); fix it or search with regex: false`,
        );
      }
    }
    const match = options.glob ? picomatch(options.glob, { dot: true, basename: true }) : undefined;
    const files: { path: string; text: string }[] = [];
    const matches: LineMatch[] = [];
    let budget = this.limits.searchTotalBytes;
    let truncated = false;
    let filesSearched = 0;
    walkTree(this.root, [], {
      gitignore: options.gitignore,
      visit: (e) => {
        if (e.type !== 'file' || e.size > this.limits.searchFileMaxBytes) return;
        if (match && !match(e.path)) return;
        const text = readTextAt(e.dirFd, e.name, this.limits.searchFileMaxBytes);
        if (text === undefined) return;
        filesSearched++;
        if (options.regex) {
          budget -= text.length;
          if (budget < 0) {
            truncated = true;
            return false;
          }
          files.push({ path: e.path, text });
          return;
        }
        const lines = text.split('\n');
        for (let i = 0; i < lines.length; i++) {
          if (!lines[i]!.includes(options.query)) continue;
          if (matches.length >= options.maxResults) {
            truncated = true;
            return false;
          }
          matches.push({ path: e.path, line: i + 1, text: lines[i]! });
        }
      },
    });
    if (options.regex) {
      const found = await regexSearch(options.query, files, options.maxResults, this.limits.regexDeadlineMs);
      matches.push(...found.matches);
      truncated ||= found.truncated;
    }
    return { matches: matches.map((m) => ({ ...m, text: shorten(m.text) })), truncated, filesSearched };
  }

  remove(path: string) {
    return this.root.remove(path);
  }

  move(from: string, to: string): void {
    this.root.move(from, to);
  }

  private checkWriteSize(path: string, bytes: number): void {
    if (bytes > this.limits.writeMaxBytes) {
      throw new BerthError(
        'TOO_LARGE',
        `the content for "${path}" is ${bytes} bytes, over the ${this.limits.writeMaxBytes}-byte limit; write smaller files`,
      );
    }
  }
}

function readTextAt(dirFd: number, name: string, max: number): string | undefined {
  const data = readSmallFileIn(dirFd, name, max);
  return data === undefined || looksBinary(data) ? undefined : data.toString('utf8');
}

function shorten(line: string): string {
  return line.length > SHOWN_LINE_MAX ? `${line.slice(0, SHOWN_LINE_MAX)}…` : line;
}
