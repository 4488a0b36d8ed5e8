import type { DevCommand } from './types.js';

/** All interfaces: Docker publishes to the container's interface, not its loopback. */
export const ANY_HOST = '0.0.0.0';

/** A binary from the app's node_modules/.bin; `--no` makes npx fail rather than download one. */
export function npxBin(command: string): string {
  return `npx --no -- ${command}`;
}

/**
 * Dev commands of the other `@vercel/frameworks` front ends, written so they listen on 0.0.0.0
 * and $PORT (Vercel's own commands set only the port, and some not even that). A slug missing
 * here gets Vercel's command and a low confidence.
 */
export const OTHER_FRONTENDS: Record<string, string> = {
  astro: 'astro dev --host 0.0.0.0 --port $PORT',
  nuxtjs: 'nuxt dev --host 0.0.0.0 --port $PORT',
  'sveltekit-1': 'vite dev --host 0.0.0.0 --port $PORT --strictPort',
  'react-router': 'react-router dev --host 0.0.0.0 --port $PORT',
  angular: 'ng serve --host 0.0.0.0 --port $PORT',
  vue: 'vue-cli-service serve --host 0.0.0.0 --port $PORT',
  gatsby: 'gatsby develop -H 0.0.0.0 --port $PORT',
  'docusaurus-2': 'docusaurus start --host 0.0.0.0 --port $PORT --no-open',
  storybook: 'storybook dev --host 0.0.0.0 -p $PORT --no-open',
  vitepress: 'vitepress dev docs --host 0.0.0.0 --port $PORT',
};

/** The command and env with `$PORT` (or `${PORT}`) replaced by the allocated port. */
export function fillPort(dev: DevCommand, port: number): DevCommand {
  const fill = (s: string) => s.replace(/\$\{PORT\}|\$PORT\b/g, String(port));
  return {
    command: fill(dev.command),
    env: Object.fromEntries(Object.entries(dev.env).map(([k, v]) => [k, fill(v)])),
  };
}
