import { readPackage, readPnpmWorkspace } from './package-facts.js';
import { join, SAFE_NAME, type RepoReader } from './repo-reader.js';

/** A folder that may hold an app, and where its dependencies install (its workspace root). */
export interface Candidate {
  folder: string;
  installFolder: string;
  /** Why it is a candidate, e.g. "npm workspace apps/*". */
  via: string;
}

/** Folders that never hold an app's root: build output, dependencies, tool caches. */
const SKIPPED = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  'out',
  'coverage',
  'target',
  'vendor',
  '__pycache__',
  'venv',
  '.venv',
  'env',
  '.next',
  '.nuxt',
  '.svelte-kit',
  '.turbo',
  '.cache',
]);
/** Folders whose every sub-folder is a candidate (the usual monorepo layouts). */
const CONTAINERS = ['apps', 'packages', 'services'];
/** More candidates than this and the repository is not a handful of apps. */
const MAX_CANDIDATES = 200;

/**
 * The candidate roots, in a stable order: the repository root, its npm/yarn/pnpm workspace
 * packages, each top-level folder (frontend/, web/, client/, backend/, api/, server/, app/ and
 * whatever else is there) and the sub-folders of apps/, packages/ and services/.
 */
export function candidateRoots(reader: RepoReader, maxDepth: number): Candidate[] {
  const out = new Map<string, Candidate>();
  const rootPkg = readPackage(reader, '');
  const globs = [
    ...(rootPkg?.workspaces ?? []).map((g) => ({ glob: g, via: 'package.json workspaces' })),
    ...readPnpmWorkspace(reader, '').map((g) => ({ glob: g, via: 'pnpm-workspace.yaml' })),
  ];
  // a folder the workspace leaves out ("!apps/legacy") is left out as a candidate too
  const excluded = globs.filter((g) => g.glob.startsWith('!')).map((g) => globMatcher(g.glob.slice(1)));
  const add = (folder: string, via: string, installFolder = folder) => {
    if (excluded.some((ex) => ex(folder))) return;
    if (out.size >= MAX_CANDIDATES) {
      reader.note(
        `more than ${MAX_CANDIDATES} candidate folders; berth looked at the first ${MAX_CANDIDATES}`,
      );
      return;
    }
    if (!out.has(folder)) out.set(folder, { folder, installFolder, via });
  };
  add('', 'the repository root');
  for (const { glob, via } of globs) {
    if (glob.startsWith('!')) continue;
    for (const folder of expandGlob(reader, glob, maxDepth)) add(folder, `${via} ${glob}`, '');
  }
  if (maxDepth >= 1) {
    for (const name of reader.subfolders('')) {
      if (SKIPPED.has(name) || name.startsWith('.')) continue;
      if (CONTAINERS.includes(name) && maxDepth >= 2) {
        for (const sub of reader.subfolders(name))
          if (!SKIPPED.has(sub) && !sub.startsWith('.')) add(join(name, sub), `a folder in ${name}/`);
      } else add(name, 'a top-level folder');
    }
  }
  return [...out.values()];
}

/** The folders a workspace glob names ("apps/*", "packages/**", "web"), within `maxDepth`. */
function expandGlob(reader: RepoReader, glob: string, maxDepth: number): string[] {
  const parts = glob
    .replace(/\/+$/, '')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return [];
  if (glob.startsWith('/') || parts.some((p) => p === '..' || (!SAFE_NAME.test(p) && !/[*?]/.test(p)))) {
    reader.note(`workspace glob "${glob.slice(0, 80)}" leaves the repository or has an odd name; skipped`);
    return [];
  }
  const found: string[] = [];
  const walk = (folder: string, depth: number, rest: string[]) => {
    if (rest.length === 0) {
      if (folder !== '') found.push(folder);
      return;
    }
    if (depth >= maxDepth) return;
    const [head, ...tail] = rest as [string, ...string[]];
    if (head === '**') {
      walk(folder, depth, tail);
      for (const sub of reader.subfolders(folder))
        if (!SKIPPED.has(sub)) walk(join(folder, sub), depth + 1, rest);
      return;
    }
    if (!/[*?]/.test(head)) {
      if (reader.subfolders(folder).includes(head)) walk(join(folder, head), depth + 1, tail);
      return;
    }
    const match = nameMatcher(head);
    for (const sub of reader.subfolders(folder))
      if (!SKIPPED.has(sub) && match.test(sub)) walk(join(folder, sub), depth + 1, tail);
  };
  walk('', 0, parts);
  return found;
}

/** Whether a folder matches a workspace glob; for `!` exclusions. */
function globMatcher(glob: string): (folder: string) => boolean {
  const parts = glob
    .replace(/\/+$/, '')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  const source = parts.map((p) => (p === '**' ? '.*' : nameMatcher(p).source.slice(1, -1))).join('/');
  const re = new RegExp(`^${source}$`);
  return (folder) => re.test(folder);
}

function nameMatcher(part: string): RegExp {
  const source = part
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${source}$`);
}
