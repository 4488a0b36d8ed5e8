import { dirname, relative, resolve, sep } from 'node:path';

/**
 * The layers of src/ (see the README's Development section): a folder may import from the
 * folders listed for it, from itself, and from the shared root files (errors.ts, logger.ts).
 * Imports only point down; anything else is a lint error. Type imports count too.
 */
const CORE = ['config', 'store', 'workspace', 'http', 'runtime', 'exec'];
const SERVICES = ['hub', 'sessions', 'sync', 'preview', 'team', 'lsp'];
export const LAYERS = {
  config: [],
  store: [],
  http: ['workspace'],
  workspace: ['config'],
  runtime: ['config', 'workspace'],
  exec: ['config', 'workspace', 'runtime'],
  hub: [...CORE],
  sessions: [...CORE],
  sync: [...CORE],
  preview: [...CORE, 'hub'],
  team: [...CORE, 'hub', 'preview', 'sync'],
  lsp: [...CORE],
  mcp: [...CORE, ...SERVICES],
  ops: [...CORE, ...SERVICES],
  app: [...CORE, ...SERVICES, 'mcp', 'ops'],
  cli: [...CORE, ...SERVICES, 'mcp', 'ops', 'app'],
};
const ROOT_FILES = new Set(['errors', 'logger']);

/** The layer of a file under src/: its first folder, or `root:<name>` for a file directly in src/. */
function layerOf(srcDir, file) {
  const rel = relative(srcDir, file);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length === 1 ? `root:${parts[0].replace(/\.[jt]s$/, '')}` : parts[0];
}

function check(context, node) {
  const source = node.source?.value;
  if (typeof source !== 'string' || !source.startsWith('.')) return;
  const file = context.filename;
  const srcDir = resolve(context.cwd, 'src');
  const from = layerOf(srcDir, file);
  if (from === undefined) return;
  const to = layerOf(srcDir, resolve(dirname(file), source));
  if (to === undefined || to === from) return;
  if (to.startsWith('root:') && ROOT_FILES.has(to.slice(5))) return;
  if (from === 'root:index') return; // the library's entry exports what it chooses
  const allowed = LAYERS[from];
  if (allowed === undefined) {
    context.report({ node, message: `src/${from} has no place in the layers (eslint/layers.js)` });
    return;
  }
  if (!allowed.includes(to)) {
    context.report({
      node,
      message: `src/${from} may not import from src/${to.replace('root:', '')}: imports point down the layers (eslint/layers.js)`,
    });
  }
}

export const layersPlugin = {
  rules: {
    'imports-point-down': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        return {
          ImportDeclaration: (node) => check(context, node),
          ExportNamedDeclaration: (node) => check(context, node),
          ExportAllDeclaration: (node) => check(context, node),
          ImportExpression: (node) => check(context, node),
        };
      },
    },
  },
};
