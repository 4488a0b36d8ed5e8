import * as fs from 'node:fs';
import { BerthError } from '../errors.js';
import { checkReplaceable, openReadable } from './confined-open.js';
import { ConfinedRoot } from './confined-root.js';
import { readSmallFileIn } from './fd-dir.js';
import { walkTree, type EntryType } from './file-walk.js';
import { countLines, readLineSlice, readTail, type LineWindow } from './line-reader.js';
import { pathGlob } from './path-glob.js';
import { regexSearch, type LineMatch } from './regex-worker.js';
import { pathComponents } from './relative-path.js';
import { unifiedDiff } from './text-diff.js';
import { editSteps, type TextEdit } from './text-edit.js';
import { decodeText, looksBinary } from './text-file.js';

export interface WorkspaceLimits {
  /**
   * Most text one read returns: a whole file read_file gives (larger files are refused), a
   * slice or tail (cut there), and read_multiple_files' files together.
   */
  readMaxBytes: number;
  /** How far into a file read_file's offset/limit reads (lines past it: use tail). */
  readScanMaxBytes: number;
  /** Largest content write_file and edit_file accept. */
  writeMaxBytes: number;
  /** Most edits in one edit_file call. */
  editMaxEdits: number;
  /** Longest one edit_file call applies its edits (then it fails, writing nothing). */
  editDeadlineMs: number;
  /** Longest edit_file computes its diff (then it reports a summary instead). */
  diffDeadlineMs: number;
  /** Files larger than this are skipped by search. */
  searchFileMaxBytes: number;
  /** Text searched by one regex search, in all. */
  searchTotalBytes: number;
  regexDeadlineMs: number;
  /** Largest file read_media_file returns. */
  mediaMaxBytes: number;
}

export const DEFAULT_LIMITS: WorkspaceLimits = {
  readMaxBytes: 4 * 1024 * 1024,
  readScanMaxBytes: 64 * 1024 * 1024,
  writeMaxBytes: 8 * 1024 * 1024,
  editMaxEdits: 1000,
  editDeadlineMs: 30_000,
  diffDeadlineMs: 10_000,
  searchFileMaxBytes: 1024 * 1024,
  searchTotalBytes: 64 * 1024 * 1024,
  regexDeadlineMs: 10_000,
  mediaMaxBytes: 5 * 1024 * 1024,
};

export interface ListEntry {
  path: string;
  type: EntryType;
  size: number;
  /** The path with look-alike code points escaped, when it is not plain (see name-display.ts). */
  escaped?: string;
  notUtf8?: boolean;
}

/** What read_file returns: lines of text, and the file's size in bytes. */
export type TextRead = LineWindow & { bytes: number };

export interface EditResult {
  diff: string;
  /** False when the diff took too long and `diff` is a summary. */
  diffComplete: boolean;
  bytes: number;
  changed: boolean;
}

/** How long the edits run before the event loop gets a turn. */
const EDIT_SLICE_MS = 10;

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

  /**
   * A text file: whole (refused over readMaxBytes), lines [offset, offset + limit), or the last
   * `tail` lines; a slice or tail is cut at readMaxBytes.
   */
  readText(path: string, offset?: number, limit?: number, tail?: number): TextRead {
    if (tail !== undefined && (offset !== undefined || limit !== undefined))
      throw new BerthError('INVALID_ARGUMENT', 'give tail, or offset and limit, not both');
    if (offset === undefined && limit === undefined && tail === undefined) {
      const data = this.root.readFile(path, this.limits.readMaxBytes);
      const content = decodeText(data, path);
      const lines = countLines(content);
      return {
        content,
        lines,
        startLine: lines > 0 ? 1 : 0,
        endLine: lines,
        totalLines: lines,
        bytes: data.length,
      };
    }
    const { fd, size } = openReadable(this.root, path);
    try {
      const maxBytes = this.limits.readMaxBytes;
      const window =
        tail !== undefined
          ? readTail(fd, size, path, { count: tail, maxBytes })
          : readLineSlice(fd, size, path, {
              offset: offset ?? 1,
              maxBytes,
              scanMaxBytes: this.limits.readScanMaxBytes,
              ...(limit !== undefined ? { limit } : {}),
            });
      return { ...window, bytes: size };
    } finally {
      fs.closeSync(fd);
    }
  }

  writeText(path: string, content: string): { bytes: number; created: boolean } {
    const data = Buffer.from(content, 'utf8');
    this.checkWriteSize(path, data.length);
    return { bytes: data.length, ...this.root.writeFile(path, data) };
  }

  /**
   * Applies edits to a text file. The file is read, and bad paths, files berth will not write
   * and too many edits are refused, before this returns (a throw, not a rejection); the edits
   * then run a few milliseconds at a time so other calls are served meanwhile, and the diff of
   * a big change is computed in a worker thread. Nothing is written when the file changed in
   * between.
   */
  edit(path: string, edits: TextEdit[], dryRun: boolean): Promise<EditResult> {
    if (edits.length > this.limits.editMaxEdits) {
      throw new BerthError(
        'EDIT_FAILED',
        `${edits.length} edits in one call is over the limit of ${this.limits.editMaxEdits}; split them over several calls, or rewrite the file with write_file`,
      );
    }
    const original = this.root.readFile(path, this.limits.readMaxBytes);
    const before = decodeText(original, path);
    if (!dryRun) checkReplaceable(this.root, path);
    return this.finishEdit(path, original, before, edits, dryRun);
  }

  private async finishEdit(
    path: string,
    original: Buffer,
    before: string,
    edits: TextEdit[],
    dryRun: boolean,
  ): Promise<EditResult> {
    const after = await runSteps(editSteps(before, edits, path), this.limits.editDeadlineMs, edits.length);
    const data = Buffer.from(after, 'utf8');
    this.checkWriteSize(path, data.length);
    const shown = pathComponents(path).join('/');
    const { diff, complete } = await unifiedDiff(shown, before, after, this.limits.diffDeadlineMs);
    const changed = after !== before;
    if (!dryRun && changed) {
      if (!this.root.readFile(path, this.limits.readMaxBytes).equals(original)) {
        throw new BerthError(
          'EDIT_FAILED',
          `"${path}" changed while the edits were being applied, so nothing was written; read it again and retry`,
        );
      }
      this.root.writeFile(path, data);
    }
    return { diff, diffComplete: complete, bytes: data.length, changed };
  }

  list(path: string, options: { pattern?: string; max: number; gitignore: boolean }) {
    const match = options.pattern ? pathGlob(options.pattern) : undefined;
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
        const entry: ListEntry = { path: e.path, type: e.type, size: e.size };
        if (e.escaped !== undefined) entry.escaped = e.escaped;
        if (e.notUtf8) entry.notUtf8 = true;
        entries.push(entry);
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
    const match = options.glob ? pathGlob(options.glob) : undefined;
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

/** Runs edit steps to the end, giving the event loop a turn every EDIT_SLICE_MS, within a deadline. */
async function runSteps<T>(steps: Generator<void, T>, deadlineMs: number, count: number): Promise<T> {
  const started = Date.now();
  let slice = started;
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    const now = Date.now();
    if (now - started > deadlineMs) {
      throw new BerthError(
        'EDIT_FAILED',
        `the ${count} edits ran longer than ${deadlineMs} ms and were stopped, so nothing was written; send fewer edits per call`,
      );
    }
    if (now - slice >= EDIT_SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = Date.now();
    }
  }
}

function readTextAt(dirFd: number, name: Buffer, max: number): string | undefined {
  const data = readSmallFileIn(dirFd, name, max);
  return data === undefined || looksBinary(data) ? undefined : data.toString('utf8');
}

function shorten(line: string): string {
  return line.length > SHOWN_LINE_MAX ? `${line.slice(0, SHOWN_LINE_MAX)}…` : line;
}
