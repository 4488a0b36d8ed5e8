import { BerthError } from '../errors.js';
import type { ConfinedRoot } from './confined-root.js';
import { readSmallFileIn } from './fd-dir.js';
import { walkTree } from './file-walk.js';
import { pathGlob } from './path-glob.js';
import { regexSearch, type LineMatch } from './regex-worker.js';
import { looksBinary } from './text-file.js';
import type { WorkspaceLimits } from './workspace.js';

export interface SearchOptions {
  query: string;
  regex: boolean;
  glob?: string;
  maxResults: number;
  gitignore: boolean;
}

export interface SearchResult {
  matches: LineMatch[];
  truncated: boolean;
  filesSearched: number;
}

const SHOWN_LINE_MAX = 300;

/** Lines of the project's text files that contain the query, or match it as a regular expression. */
export async function searchFiles(
  root: ConfinedRoot,
  limits: WorkspaceLimits,
  options: SearchOptions,
): Promise<SearchResult> {
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
  let budget = limits.searchTotalBytes;
  let truncated = false;
  let filesSearched = 0;
  walkTree(root, [], {
    gitignore: options.gitignore,
    visit: (e) => {
      if (e.type !== 'file' || e.size > limits.searchFileMaxBytes) return;
      if (match && !match(e.path)) return;
      const text = readTextAt(e.dirFd, e.name, limits.searchFileMaxBytes);
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
    const found = await regexSearch(options.query, files, options.maxResults, limits.regexDeadlineMs);
    matches.push(...found.matches);
    truncated ||= found.truncated;
  }
  return { matches: matches.map((m) => ({ ...m, text: shorten(m.text) })), truncated, filesSearched };
}

function readTextAt(dirFd: number, name: Buffer, max: number): string | undefined {
  const data = readSmallFileIn(dirFd, name, max);
  return data === undefined || looksBinary(data) ? undefined : data.toString('utf8');
}

function shorten(line: string): string {
  return line.length > SHOWN_LINE_MAX ? `${line.slice(0, SHOWN_LINE_MAX)}…` : line;
}
