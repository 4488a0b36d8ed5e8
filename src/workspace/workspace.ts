import * as fs from 'node:fs';
import { BerthError } from '../errors.js';
import { checkReplaceable, openReadable } from './confined-open.js';
import { ConfinedRoot } from './confined-root.js';
import type { WorkspacePlacement } from './placement.js';
import { readManyTexts, readMediaFile, type ManyRead, type MediaRead } from './file-reads.js';
import { folderTree, type FolderTree } from './folder-tree.js';
import { pathInfo, type PathInfo } from './path-info.js';
import { walkTree, type EntryType } from './file-walk.js';

export type { SearchResult } from './file-search.js';
import { countLines, readLineSlice, readTail, type LineWindow } from './line-reader.js';
import { pathGlob } from './path-glob.js';
import { searchFiles, type SearchOptions, type SearchResult } from './file-search.js';
import { pathComponents } from './relative-path.js';
import { unifiedDiff } from './text-diff.js';
import { editSteps, runEditSteps, type TextEdit } from './text-edit.js';
import { decodeText } from './text-file.js';

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

/**
 * A change made through this Workspace, after it happened: paths are project-relative, as the
 * caller gave them (normalised). Sync and language servers listen to these.
 */
export type WorkspaceChange =
  { kind: 'write' | 'create-folder' | 'delete'; path: string } | { kind: 'move'; path: string; to: string };

/** A project's files, with every path confined to the project root. */
export class Workspace {
  private readonly root: ConfinedRoot;
  private readonly listeners = new Set<(change: WorkspaceChange) => void>();

  constructor(
    readonly placement: WorkspacePlacement,
    private readonly limits: WorkspaceLimits = DEFAULT_LIMITS,
  ) {
    this.root = new ConfinedRoot(placement.hostPath(), placement.rootComponents());
  }

  /** Calls `listener` after every change made through this Workspace; returns the unsubscribe. */
  onChange(listener: (change: WorkspaceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(change: WorkspaceChange): void {
    for (const listener of this.listeners) listener(change);
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
    const written = this.root.writeFile(path, data);
    this.changed({ kind: 'write', path: normal(path) });
    return { bytes: data.length, ...written };
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
    const after = await runEditSteps(
      editSteps(before, edits, path),
      this.limits.editDeadlineMs,
      edits.length,
    );
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
      this.changed({ kind: 'write', path: normal(path) });
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

  search(options: SearchOptions): Promise<SearchResult> {
    return searchFiles(this.root, this.limits, options);
  }

  /** Several whole text files, each with its content or its error, within readMaxBytes together. */
  readMany(paths: string[]): ManyRead[] {
    return readManyTexts(this.root, paths, this.limits.readMaxBytes);
  }

  readMedia(path: string): MediaRead {
    return readMediaFile(this.root, path, this.limits.mediaMaxBytes);
  }

  info(path: string): PathInfo {
    return pathInfo(this.root, path);
  }

  tree(path: string, options: { maxDepth: number; maxEntries: number; gitignore: boolean }): FolderTree {
    return folderTree(this.root, path, options);
  }

  /** Makes a folder and its missing parents; false when it was already there. */
  createFolder(path: string): { created: boolean } {
    const components = pathComponents(path);
    try {
      fs.closeSync(this.root.openDir(components).fd);
      return { created: false };
    } catch (err) {
      if (!(err instanceof BerthError) || err.code !== 'NOT_FOUND') throw err;
    }
    fs.closeSync(this.root.openDir(components, true).fd);
    this.changed({ kind: 'create-folder', path: normal(path) });
    return { created: true };
  }

  remove(path: string) {
    const removed = this.root.remove(path);
    this.changed({ kind: 'delete', path: normal(path) });
    return removed;
  }

  move(from: string, to: string): void {
    this.root.move(from, to);
    this.changed({ kind: 'move', path: normal(from), to: normal(to) });
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

function normal(path: string): string {
  return pathComponents(path).join('/');
}
