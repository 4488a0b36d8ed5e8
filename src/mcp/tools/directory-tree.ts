import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { TreeNode } from '../../workspace/folder-tree.js';
import { toolTarget, type McpDeps, type Workspaces } from '../deps.js';
import { NAME_NOTE, pathField, fileTargetFields } from '../schemas.js';
import { guard, ok } from '../tool-result.js';

export const TREE_DEFAULT_DEPTH = 5;
export const TREE_MAX_DEPTH = 20;
export const TREE_DEFAULT_ENTRIES = 1000;
export const TREE_MAX_ENTRIES = 10_000;

export function registerDirectoryTreeTool(server: McpServer, deps: McpDeps, workspaces: Workspaces): void {
  server.registerTool(
    'directory_tree',
    {
      title: 'Folder tree',
      description:
        'A folder of a project as a nested JSON tree: each node has name and type (file, folder, symlink, other), files their size, folders their children, links their target as written (links are shown, never followed). ' +
        'Honours .gitignore unless gitignore is false; .git is never shown. ' +
        `Goes ${TREE_DEFAULT_DEPTH} folders deep by default (max_depth, at most ${TREE_MAX_DEPTH}): a folder at the limit has children_not_shown: true instead of children, and depth_limited is true. ` +
        `Stops after ${TREE_DEFAULT_ENTRIES} entries by default (max_entries, at most ${TREE_MAX_ENTRIES}), with truncated: true. ` +
        NAME_NOTE.replace('"escaped": the path', '"escaped": the name'),
      inputSchema: {
        ...fileTargetFields,
        path: pathField('Folder to show (default: the project root)').optional(),
        max_depth: z
          .number()
          .int()
          .min(1)
          .max(TREE_MAX_DEPTH)
          .optional()
          .describe(`How many folders deep to go (default ${TREE_DEFAULT_DEPTH})`),
        max_entries: z
          .number()
          .int()
          .min(1)
          .max(TREE_MAX_ENTRIES)
          .optional()
          .describe(`Most entries to show (default ${TREE_DEFAULT_ENTRIES})`),
        gitignore: z.boolean().optional().describe('Leave out what .gitignore excludes (default true)'),
      },
      outputSchema: {
        tree: z
          .looseObject({
            name: z.string(),
            type: z.string(),
            children: z.array(z.unknown()).optional(),
          })
          .describe(
            'The folder; every node has name and type, plus children or children_not_shown (folders), size (files), target (links), escaped and not_utf8 (odd names)',
          ),
        entries: z.number().describe('Nodes shown below the folder'),
        truncated: z.boolean().describe('The entry cap was reached; the tree is incomplete'),
        depth_limited: z.boolean().describe('Some folder is at the depth limit (children_not_shown)'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project, session, team, path, max_depth, max_entries, gitignore }) =>
      guard(deps.logger, async () => {
        const target = toolTarget(deps, workspaces, { project, session, team });
        const result = target.workspace.tree(path ?? '', {
          maxDepth: max_depth ?? TREE_DEFAULT_DEPTH,
          maxEntries: max_entries ?? TREE_DEFAULT_ENTRIES,
          gitignore: gitignore ?? true,
        });
        const tree = toJson(result.tree);
        const notes: string[] = [];
        if (result.truncated)
          notes.push(
            `[stopped at ${result.entries} entries; narrow with path or max_depth, or raise max_entries]`,
          );
        if (result.depthLimited)
          notes.push(
            '[folders with children_not_shown are at the depth limit; raise max_depth or give their path]',
          );
        const text = [JSON.stringify(tree, null, 1), ...notes].join('\n');
        return ok(text, {
          tree,
          entries: result.entries,
          truncated: result.truncated,
          depth_limited: result.depthLimited,
        });
      }),
  );
}

function toJson(node: TreeNode): Record<string, unknown> {
  const out: Record<string, unknown> = { name: node.name, type: node.type };
  if (node.size !== undefined) out.size = node.size;
  if (node.target !== undefined) out.target = node.target;
  if (node.escaped !== undefined) out.escaped = node.escaped;
  if (node.notUtf8) out.not_utf8 = true;
  if (node.childrenNotShown) out.children_not_shown = true;
  if (node.children) out.children = node.children.map(toJson);
  return out;
}
