import picomatch from 'picomatch';
import { BerthError } from '../errors.js';

/**
 * A glob over project-relative paths. A pattern with a slash is matched against the whole path
 * from the project root (`src/*.ts`, `src/**`, `**\/test/*.js`); one without a slash against the
 * entry's name in any folder (`*.md`). A leading `./` or `/` is dropped, and a trailing `/` means
 * everything below the folder (`src/` is `src/**`). Dot files match like any other.
 */
export function pathGlob(glob: string): (path: string) => boolean {
  let pattern = glob.trim().replace(/^(\.\/|\/)+/, '');
  if (pattern.endsWith('/')) pattern += '**';
  if (pattern === '')
    throw new BerthError('INVALID_ARGUMENT', `the glob "${glob}" is empty once "./" and "/" are dropped`);
  const match = picomatch(pattern, { dot: true });
  if (pattern.includes('/')) return (path) => match(path);
  return (path) => match(path.slice(path.lastIndexOf('/') + 1));
}
