import { ANY_HOST } from './dev-command.js';
import { hotReloadFor } from './hot-reload.js';
import type { UnnamedApp } from './js-apps.js';
import { join, type RepoReader } from './repo-reader.js';

/**
 * A static site: index.html (or public/index.html) in a folder without package.json. It is
 * served by Python's http.server, which is in berth's Python preview image: nothing to install
 * and it binds where told; it has no live reload, which a static page rarely needs.
 */
export function staticApp(reader: RepoReader, folder: string): UnnamedApp | undefined {
  for (const dir of ['', 'public']) {
    const page = join(folder, join(dir, 'index.html').replace(/^\//, ''));
    if (reader.kind(page) !== 'file') continue;
    const directory = dir === '' ? '' : ` --directory ${dir}`;
    return {
      root: folder,
      kind: 'web',
      framework: 'static',
      runtime: 'static',
      dev: { command: `python3 -m http.server $PORT --bind ${ANY_HOST}${directory}`, env: {} },
      evidence: [`${dir === '' ? '' : `${dir}/`}index.html present`, 'no package.json'],
      confidence: dir === '' ? 0.7 : 0.6,
      hotReload: hotReloadFor('static'),
    };
  }
  return undefined;
}
