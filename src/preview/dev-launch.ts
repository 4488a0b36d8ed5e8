import type { PreviewApp } from './preview-types.js';

/** All interfaces: Docker publishes to the container's interface, not its loopback. */
const ANY_HOST = '0.0.0.0';

/** Frameworks whose dev server is Vite, so its config is wrapped (see vite-wrapper.ts). */
const VITE_FRAMEWORKS = new Set(['vite', 'vite-react', 'sveltekit-1', 'vitepress']);

/** What the preview container runs: the app's command with what berth adds, and why. */
export interface DevLaunch {
  command: string;
  /** Added to the app's own env (which wins where both set a name). */
  env: Record<string, string>;
  /** Whether `command` loads berth's Vite wrapper config. */
  viteWrapper: boolean;
  /** What berth could not arrange, for the status and the logs. */
  notes: string[];
}

/**
 * Makes the app's dev command reachable and reloading inside a preview container without
 * editing the repository: it listens on 0.0.0.0 and the preview port, reloads on change, and
 * its HMR client connects to the same port the page came from. The detected command already
 * says most of it; berth keeps it and adds only what is missing, preferring variables the
 * server reads (FLASK_RUN_HOST, UVICORN_HOST, HOSTNAME, WDS_SOCKET_PORT) to editing the
 * command line, since the command is the user's to change in berth.team.yaml.
 */
export function devLaunch(app: PreviewApp, viteWrapperPath: string): DevLaunch {
  const port = String(app.port);
  const env: Record<string, string> = { PORT: port, HOST: ANY_HOST };
  const notes: string[] = [];
  let command = app.devCommand.trim();
  let viteWrapper = false;
  const framework = app.framework;

  if (VITE_FRAMEWORKS.has(framework) || (framework === 'node' && /(^|[\s/])vite(\s|$)/.test(command))) {
    const withWrapper = addViteConfig(command, viteWrapperPath);
    if (withWrapper === undefined) {
      notes.push(
        "the dev command names its own Vite config or is not a single vite/npm command, so berth did not add its wrapper config: set server.host, server.allowedHosts and server.watch.usePolling in the app's config if they are needed",
      );
    } else {
      command = withWrapper;
      viteWrapper = true;
    }
  } else if (framework === 'nextjs') {
    // `next dev` reads HOSTNAME and PORT when -H and -p are not given
    env.HOSTNAME = ANY_HOST;
    if (app.hosts?.length) {
      notes.push(
        `Next 16 blocks cross-origin dev requests (HMR included) from ${app.hosts.join(', ')} unless next.config lists them in allowedDevOrigins; berth does not edit next.config, and Next has no flag for another config file`,
      );
    }
  } else if (framework === 'create-react-app') {
    env.BROWSER = 'none';
    // the HMR socket connects to the page's port; the same number inside and out, said anyway
    env.WDS_SOCKET_PORT = port;
    if (app.hosts?.length) env.DANGEROUSLY_DISABLE_HOST_CHECK = 'true';
  } else if (framework === 'flask') {
    // `flask run --debug` is Flask 2.3+; `flask --debug run` works from 2.2 (Debian bookworm's) on
    const moved = /^(.*\bflask\b.*?)\s+run\b(.*?)\s--debug\b(.*)$/.exec(command);
    if (moved) command = `${moved[1]} --debug run${moved[2]}${moved[3]}`;
    // read by `flask run` when its flags do not say
    env.FLASK_RUN_HOST = ANY_HOST;
    env.FLASK_RUN_PORT = port;
    env.FLASK_DEBUG = '1';
  } else if (framework === 'fastapi') {
    // uvicorn's options fall back to UVICORN_* variables when the command line does not set them
    env.UVICORN_HOST = ANY_HOST;
    env.UVICORN_PORT = port;
    if (!/--reload\b/.test(command)) env.UVICORN_RELOAD = 'true';
  } else if (framework === 'django') {
    // runserver reloads by default; an address is needed for it to leave 127.0.0.1
    if (/\brunserver\s*$/.test(command)) command = `${command} ${ANY_HOST}:${port}`;
    else if (
      /\brunserver\s+(127\.0\.0\.1|localhost)?:?\d*\s*$/.test(command) &&
      !command.includes(ANY_HOST)
    ) {
      notes.push('the runserver command binds 127.0.0.1, which is unreachable from the host: use 0.0.0.0');
    }
  }
  return { command, env, viteWrapper, notes };
}

/** The command with `--config <wrapper>`, or undefined when berth cannot add it safely. */
function addViteConfig(command: string, wrapper: string): string | undefined {
  if (/(^|\s)(--config|-c)(\s|=)/.test(command)) return undefined;
  // a compound command: where the flag belongs is not berth's to guess
  if (/[;&|<>`]|\$\(/.test(command)) return undefined;
  if (/^npm\s+(run(-script)?\s+\S+|start)(\s|$)/.test(command)) {
    return command.includes(' -- ') ? `${command} --config ${wrapper}` : `${command} -- --config ${wrapper}`;
  }
  if (/^(corepack\s+)?(pnpm|yarn)\s/.test(command)) return `${command} --config ${wrapper}`;
  if (/(^|[\s/])vite(\s|$)/.test(command)) return `${command} --config ${wrapper}`;
  return undefined;
}
