/** The wrapper's place inside the app's node_modules volume, relative to that node_modules. */
export const VITE_WRAPPER_FILE = '.berth/vite.config.mjs';

export interface ViteWrapperInput {
  /** The app's own config in the container (absolute), or none. */
  configPath?: string;
  port: number;
  /** Host names the page may be opened on besides localhost and IP addresses. */
  allowedHosts: string[];
}

/**
 * The Vite config berth runs the dev server with (`vite --config <this>`): it loads the app's
 * own config, object or function (async too), and merges the preview's server settings into it
 * with Vite's own mergeConfig, so the repository is never edited. It lives in the app's
 * node_modules volume: `vite` and the app's plugins resolve from there, and Vite writes its
 * bundled copy of the config beside it, not into the repository. Vite bundles this file with
 * esbuild and follows the absolute import of the app's config, so a vite.config.ts works too.
 *
 * Polling is read from BERTH_HOT_RELOAD when the config is evaluated, because the hot-reload
 * canary decides it after the container (and this file) exist.
 */
export function viteWrapperSource(input: ViteWrapperInput): string {
  const lines = [
    '// Written by berth for the preview container; not part of the repository. It loads the',
    "// app's Vite config and sets what a preview needs: host, port, allowed hosts, HMR port, polling.",
    "import { mergeConfig } from 'vite';",
  ];
  if (input.configPath !== undefined) lines.push(`import * as own from ${JSON.stringify(input.configPath)};`);
  else lines.push('const own = {};');
  lines.push(
    `const port = ${input.port};`,
    `const allowedHosts = ${JSON.stringify(['localhost', ...input.allowedHosts])};`,
    '',
    'export default async function berthPreviewConfig(env) {',
    "  const exported = 'default' in own ? own.default : {};",
    "  const base = (typeof exported === 'function' ? await exported(env) : await exported) ?? {};",
    "  const polling = process.env.BERTH_HOT_RELOAD === 'polling';",
    '  const server = {',
    "    host: '0.0.0.0',",
    '    port,',
    '    strictPort: true,',
    '    hmr: { clientPort: port },',
    '  };',
    // `true` already allows every host; merging a list into it would make an array with `true`
    '  if (base.server?.allowedHosts !== true) server.allowedHosts = allowedHosts;',
    '  if (polling) server.watch = { usePolling: true, interval: 100 };',
    '  return mergeConfig(base, { server });',
    '}',
    '',
  );
  return lines.join('\n');
}
