import * as fs from 'node:fs';
import type { ConfinedRoot } from './confined-root.js';
import { inDir } from './fd-dir.js';
import { walkTree, type EntryType } from './file-walk.js';
import { showName } from './name-display.js';
import { pathComponents } from './relative-path.js';

export interface TreeNode {
  name: string;
  type: EntryType;
  /** Folders only, when their content was listed. */
  children?: TreeNode[];
  /** A folder at the depth limit: its content is not listed (it may be empty). */
  childrenNotShown?: true;
  /** A link's target as written (not followed). */
  target?: string;
  size?: number;
  escaped?: string;
  notUtf8?: true;
}

export interface FolderTree {
  tree: TreeNode;
  entries: number;
  /** The entry cap was reached: the walk stopped there. */
  truncated: boolean;
  /** Some folder sits at the depth limit (see childrenNotShown). */
  depthLimited: boolean;
}

/** The folder at `path` as nested nodes, in name order, through walkTree (its rules apply). */
export function folderTree(
  root: ConfinedRoot,
  path: string,
  options: { maxDepth: number; maxEntries: number; gitignore: boolean },
): FolderTree {
  const components = pathComponents(path);
  const top: TreeNode = { name: components.at(-1) ?? '.', type: 'folder', children: [] };
  // stack[d] is the folder whose entries are at depth d + 1
  const stack: TreeNode[] = [top];
  let entries = 0;
  let truncated = false;
  let depthLimited = false;
  walkTree(root, components, {
    gitignore: options.gitignore,
    maxDepth: options.maxDepth,
    visit: (e) => {
      if (entries >= options.maxEntries) {
        truncated = true;
        return false;
      }
      entries++;
      const shown = showName(e.name);
      const node: TreeNode = { name: shown.text, type: e.type };
      if (shown.escaped !== undefined) node.escaped = shown.escaped;
      if (shown.notUtf8) node.notUtf8 = true;
      if (e.type === 'file') node.size = e.size;
      if (e.type === 'symlink') node.target = readLinkIn(e.dirFd, e.name);
      if (e.type === 'folder') {
        if (e.depth >= options.maxDepth) {
          node.childrenNotShown = true;
          depthLimited = true;
        } else {
          node.children = [];
        }
      }
      stack.length = e.depth;
      stack[e.depth - 1]!.children!.push(node);
      if (node.children) stack.push(node);
    },
  });
  return { tree: top, entries, truncated, depthLimited };
}

function readLinkIn(dirFd: number, name: Buffer): string {
  try {
    return fs.readlinkSync(inDir(dirFd, name), 'utf8');
  } catch {
    return '';
  }
}
