import { nameApps } from './app-names.js';
import { candidateRoots } from './candidate-roots.js';
import { jsApp, type UnnamedApp } from './js-apps.js';
import { readPackage } from './package-facts.js';
import { pythonApp } from './python-apps.js';
import { readPython } from './python-facts.js';
import { join, RepoReader } from './repo-reader.js';
import { staticApp } from './static-app.js';
import type { DetectOptions, DetectResult } from './types.js';
import { vercelMatches } from './vercel-detectors.js';

const DEFAULT_MAX_DEPTH = 3;

/** The rules, as the "no detectable app" error states them. */
export const LOOKED_FOR = [
  'package.json depending on next, vite, react-scripts, express (or another framework @vercel/frameworks knows), or with a dev or start script',
  'a Node entry file (server.js, index.js, app.js) with package.json',
  'manage.py with Django in requirements.txt, pyproject.toml or Pipfile',
  'requirements.txt, pyproject.toml or Pipfile listing flask or fastapi',
  'index.html or public/index.html without package.json',
];

/**
 * Finds the apps of a cloned repository: at each candidate root (candidate-roots.ts) the Vercel
 * framework records are evaluated, then berth's tables decide (JS, Python, static). A folder can
 * hold a JS app and a Python app; a weak match (a bare script or a static page) at a folder
 * that holds or sits in a stronger app is dropped, since it is usually a helper of that app.
 */
export function detectApps(repoRoot: string, options: DetectOptions = {}): DetectResult {
  const reader = new RepoReader(repoRoot);
  const candidates = candidateRoots(reader, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  const found: UnnamedApp[] = [];
  for (const { folder, installFolder } of candidates) {
    const pkg = readPackage(reader, folder);
    const matches = vercelMatches(reader, folder, pkg);
    const js = pkg ? jsApp(reader, { folder, installFolder }, pkg, matches) : undefined;
    const py = pythonApp(reader, folder, readPython(reader, folder), matches);
    if (js) found.push(js);
    if (py) found.push(py);
    const hasPackage = reader.kind(join(folder, 'package.json')) !== undefined;
    if (!js && !py && !hasPackage) {
      const page = staticApp(reader, folder);
      if (page) found.push(page);
    }
  }
  const kept = found.filter((app) => !isWeakHelper(app, found));
  return {
    apps: nameApps(kept),
    lookedFor: [...LOOKED_FOR],
    searched: candidates.map((c) => (c.folder === '' ? '.' : `${c.folder}/`)),
    problems: [...reader.problems],
  };
}

/** A bare Node script or a static page above or below another app's root. */
function isWeakHelper(app: UnnamedApp, all: readonly UnnamedApp[]): boolean {
  if (app.framework !== 'static' && !(app.framework === 'node' && app.confidence <= 0.6)) return false;
  return all.some(
    (other) =>
      other !== app &&
      (other.framework === 'static'
        ? app.framework === 'static' && inside(app.root, other.root)
        : related(app.root, other.root)),
  );
}

/** Whether folder `x` is `y` or below it. */
function inside(x: string, y: string): boolean {
  return y === '' || x === y || x.startsWith(`${y}/`);
}

function related(a: string, b: string): boolean {
  return inside(a, b) || inside(b, a);
}

/** The sentence for a repository without an app: what was checked, and where. */
export function describeNothingFound(result: DetectResult): string {
  return `no detectable app: looked for ${result.lookedFor.join('; ')}; in: ${result.searched.join(', ')}`;
}
