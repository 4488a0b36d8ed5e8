import type { UnnamedApp } from './js-apps.js';
import type { DetectedApp } from './types.js';

/** A name berth uses in container names and labels. */
export const APP_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Names the apps: 'web' for the one front end and 'api' for the one back end; when a kind
 * has several, each is named after its folder ('root' for the repository root), with a number
 * added on a clash. Apps come in candidate order, so names are stable between runs.
 */
export function nameApps(apps: readonly UnnamedApp[]): DetectedApp[] {
  const count = (kind: string) => apps.filter((a) => a.kind === kind).length;
  const taken = new Set<string>();
  return apps.map(({ kind, ...app }) => {
    const wanted = count(kind) === 1 ? kind : folderName(app.root);
    let name = wanted;
    for (let i = 2; taken.has(name); i++) name = `${wanted.slice(0, 36)}-${i}`;
    taken.add(name);
    return { name, ...app };
  });
}

function folderName(root: string): string {
  const last = root.split('/').pop() ?? '';
  const cleaned = last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 40);
  return root === '' ? 'root' : APP_NAME.test(cleaned) ? cleaned : 'app';
}
