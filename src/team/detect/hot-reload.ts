import type { HotReload } from './types.js';

/**
 * How each dev server is switched to polling when the inotify canary sees no events (Docker
 * Desktop, WSL2 with Windows-side files), and how it accepts the preview's host without an edit
 * to the repository. The preview layer applies `pollingEnv` only after the canary decides.
 */
export function hotReloadFor(framework: string, configFile?: string): HotReload {
  const withConfig = (h: HotReload): HotReload => (configFile ? { ...h, configFile } : h);
  switch (framework) {
    case 'vite':
    case 'vite-react':
    case 'sveltekit-1':
      return withConfig({
        pollingEnv: { CHOKIDAR_USEPOLLING: 'true' },
        notes: [
          "CHOKIDAR_USEPOLLING reaches only Vite versions on chokidar 3 (Vite 5/6); for any version berth runs vite with --config pointing at a generated wrapper that imports the app's config and sets server.watch.usePolling",
          'allowed hosts: __VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS (or server.allowedHosts in the wrapper) when the preview is served on a host other than localhost',
        ],
      });
    case 'nextjs':
      return withConfig({
        pollingEnv: { WATCHPACK_POLLING: 'true' },
        notes: [
          'Next 16 blocks cross-origin /_next/* requests (HMR included) unless allowedDevOrigins lists the origin: the preview URL (localhost) is allowed by default; another host needs allowedDevOrigins in next.config, which berth does not edit (it says so when the app lists one)',
        ],
      });
    case 'create-react-app':
      return {
        pollingEnv: { CHOKIDAR_USEPOLLING: 'true', WATCHPACK_POLLING: 'true' },
        notes: [
          'webpack-dev-server checks the Host header: DANGEROUSLY_DISABLE_HOST_CHECK=true is needed only on a host other than localhost',
        ],
      };
    case 'django':
      return {
        pollingEnv: {},
        notes: [
          "Django's StatReloader polls file times every second unless pywatchman is installed; no switch is needed",
        ],
      };
    case 'flask':
      return {
        pollingEnv: {},
        notes: [
          "Werkzeug's reloader polls file times (stat) unless watchdog is installed; no switch is needed",
        ],
      };
    case 'fastapi':
      return {
        pollingEnv: { WATCHFILES_FORCE_POLLING: 'true' },
        notes: [
          'uvicorn --reload watches with watchfiles when installed (WATCHFILES_FORCE_POLLING applies), otherwise it polls by itself',
        ],
      };
    case 'static':
      return {
        pollingEnv: {},
        notes: ['the static server has no reload: the browser sees a change on its next load'],
      };
    default:
      return {
        pollingEnv: { CHOKIDAR_USEPOLLING: 'true', WATCHPACK_POLLING: 'true' },
        notes: [
          'node --watch uses inotify only and has no polling switch; nodemon and other chokidar 3 watchers honour CHOKIDAR_USEPOLLING',
        ],
      };
  }
}
