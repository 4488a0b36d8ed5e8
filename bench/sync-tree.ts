import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shape of a generated tree: `files` files of `fileBytes` each, spread evenly over `folders`. */
export interface TreeShape {
  files: number;
  folders: number;
  fileBytes: number;
}

export interface GeneratedTree {
  root: string;
  /** Every file, relative to the root, in generation order. */
  paths: string[];
  bytes: number;
}

/** The i-th file's path: `d0042/f000123.dat`; the same shape gives the same paths. */
export function treePath(shape: TreeShape, i: number): string {
  const perFolder = Math.ceil(shape.files / shape.folders);
  const folder = Math.floor(i / perFolder);
  return `d${String(folder).padStart(5, '0')}/f${String(i).padStart(6, '0')}.dat`;
}

/**
 * Writes the tree with plain synchronous writes in this process (faster than spawning a tool
 * per file: 100,000 files take a few seconds). Content is random, so no two files share a digest
 * and nothing compresses: what moves is what the byte count says.
 */
export function writeTree(root: string, shape: TreeShape): GeneratedTree {
  const paths: string[] = [];
  let folder = '';
  for (let i = 0; i < shape.files; i++) {
    const rel = treePath(shape, i);
    const dir = rel.slice(0, rel.indexOf('/'));
    if (dir !== folder) {
      mkdirSync(join(root, dir), { recursive: true });
      folder = dir;
    }
    writeFileSync(join(root, rel), randomBytes(shape.fileBytes));
    paths.push(rel);
  }
  return { root, paths, bytes: shape.files * shape.fileBytes };
}

/** `sha256sum`'s output for these files (in this order), computed on the host. */
export function sha256Lines(root: string, paths: readonly string[]): string {
  return paths
    .map(
      (rel) =>
        `${createHash('sha256')
          .update(readFileSync(join(root, rel)))
          .digest('hex')}  ./${rel}\n`,
    )
    .join('');
}
