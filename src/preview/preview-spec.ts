import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { BerthError } from '../errors.js';
import type { ContainerSpec, VolumeMount } from '../runtime/container-runtime.js';
import { hardenedSpec, type Limits } from '../runtime/hardened-spec.js';
import { pathComponents } from '../workspace/relative-path.js';
import { WorkspacePlacement } from '../workspace/placement.js';
import { caBundleMounts } from './ca-bundle.js';
import { devLaunch, type DevLaunch } from './dev-launch.js';
import { LAUNCHER_SCRIPT, STATE_DIR } from './launcher-script.js';
import { engineName, previewContainerLabels, previewVolumeLabels } from './preview-labels.js';
import type { PreviewApp } from './preview-types.js';
import { VITE_WRAPPER_FILE, viteWrapperSource } from './vite-wrapper.js';

/** berth's images per runtime (built by scripts/bootstrap-engine.sh); static sites use Python's http.server. */
export const PREVIEW_IMAGES = {
  node: 'berth-preview/node',
  python: 'berth-preview/python',
  static: 'berth-preview/python',
} as const;

/** A dev server with its watcher and a bundler: room for a big app, not for a runaway one. */
export const DEFAULT_PREVIEW_LIMITS: Limits = { cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 512 };

/** The preview images' user; a volume it writes is handed to it (volume-owner.ts). */
export const PREVIEW_UID = 1000;
const HOME = '/home/berth';
const NPM_CACHE = `${HOME}/.npm`;

export interface PreviewPlan {
  spec: ContainerSpec;
  /** Of the spec and the image id: a start with the same hash keeps the running container. */
  hash: string;
  image: string;
  /** The volumes the container mounts (each must be writable by uid 1000 before it starts). */
  volumes: VolumeMount[];
  launch: DevLaunch;
  /** The app's folder below the workspace, as components (the canary writes there). */
  appComponents: string[];
  /** In the container. */
  appDir: string;
  /** The hot-reload mode fixed at create (polling always/never), or undefined: the canary decides. */
  fixedHotReload?: 'polling' | 'inotify';
}

export interface PlanOptions {
  /** Container and volume names start with it ("berth"; tests use "berth-test"). */
  namePrefix: string;
}

/** The image a preview runs: the app's own, else berth's for its runtime. */
export function previewImage(app: Pick<PreviewApp, 'image' | 'runtime'>): string {
  return app.image ?? PREVIEW_IMAGES[app.runtime];
}

/**
 * The preview container of one app, from the hardened template: uid 1000, no capabilities, no
 * privilege gain, limits; the workspace at /workspace; for Node, node_modules in a volume of
 * the app's and the npm cache in a volume of the team's; the port published on 127.0.0.1 with
 * the same number inside; the launcher (launcher-script.ts) as the main process.
 */
export function planPreview(app: PreviewApp, imageId: string, options: PlanOptions): PreviewPlan {
  checkApp(app);
  const placement = app.workspaceVolume
    ? WorkspacePlacement.synced(app.workspace, app.workspaceVolume.name)
    : WorkspacePlacement.bind(app.workspace);
  const appComponents = pathComponents(app.root);
  const installComponents = app.installRoot !== undefined ? pathComponents(app.installRoot) : appComponents;
  const appDir = placement.containerPath(appComponents);
  const installDir = placement.containerPath(installComponents);
  const image = previewImage(app);
  const node = app.runtime === 'node';
  const nodeModules = `${installDir}/node_modules`;
  const wrapperPath = `${nodeModules}/${VITE_WRAPPER_FILE}`;
  const launch = devLaunch(app, wrapperPath);
  if (launch.viteWrapper && !node) {
    throw new BerthError(
      'INVALID_ARGUMENT',
      `app "${app.app}" is a Vite app but its runtime is ${app.runtime}, not node`,
    );
  }

  const volumes: VolumeMount[] = node
    ? [
        {
          name: engineName(options.namePrefix, app.team, app.app, 'node-modules'),
          target: nodeModules,
          labels: previewVolumeLabels(app.labels, 'node-modules', app.app),
        },
        {
          name: engineName(options.namePrefix, app.team, 'npm-cache'),
          target: NPM_CACHE,
          labels: previewVolumeLabels(app.teamLabels ?? app.labels, 'npm-cache'),
        },
      ]
    : [];
  const ca = caBundleMounts(app.caBundle);
  const fixedHotReload =
    app.polling === 'always' ? 'polling' : app.polling === 'never' ? 'inotify' : undefined;
  const env: Record<string, string> = {
    HOME,
    ...(node
      ? {
          npm_config_cache: NPM_CACHE,
          NPM_CONFIG_UPDATE_NOTIFIER: 'false',
          NPM_CONFIG_FUND: 'false',
          NPM_CONFIG_AUDIT: 'false',
        }
      : {}),
    ...launch.env,
    ...ca.env,
    ...app.devEnv,
    // fixed at create: in the container's own environment (docker exec env shows it)
    ...(fixedHotReload === 'polling' ? app.pollingEnv : {}),
    BERTH_APP_DIR: appDir,
    BERTH_INSTALL_DIR: installDir,
    BERTH_INSTALL: app.install ?? '',
    BERTH_INSTALL_MARKER: node ? `${nodeModules}/.berth/install-hash` : `${STATE_DIR}/install-hash`,
    BERTH_NODE_MODULES: node ? nodeModules : '',
    BERTH_DEV_COMMAND: launch.command,
    BERTH_HOT_RELOAD: fixedHotReload ?? '',
    BERTH_HOT_RELOAD_REASON:
      fixedHotReload !== undefined ? `hotReload.polling is ${app.polling} in berth.team.yaml` : '',
    BERTH_POLLING_ENV: Object.entries(app.pollingEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    BERTH_VITE_WRAPPER_PATH: launch.viteWrapper ? wrapperPath : '',
    BERTH_VITE_WRAPPER: launch.viteWrapper
      ? viteWrapperSource({
          ...(app.configFile !== undefined
            ? { configPath: placement.containerPath([...appComponents, ...pathComponents(app.configFile)]) }
            : {}),
          port: app.port,
          allowedHosts: app.hosts ?? [],
        })
      : '',
  };
  const base = hardenedSpec({
    name: engineName(options.namePrefix, 'preview', app.team, app.app),
    image,
    labels: {},
    limits: { ...DEFAULT_PREVIEW_LIMITS, ...app.limits },
    env,
    user: `${PREVIEW_UID}:${PREVIEW_UID}`,
    workingDir: appDir,
    mounts: [...(placement.kind === 'bind' ? [placement.bindMount()] : []), ...ca.mounts],
    // a synced workspace's volume is the team's (made and kept in sync by the team service)
    volumes: app.workspaceVolume
      ? [{ ...app.workspaceVolume, target: placement.containerRoot }, ...volumes]
      : volumes,
    ports: [{ containerPort: app.port, hostPort: app.port, hostIp: '127.0.0.1' }],
    network: { mode: 'network', name: app.network },
    cmd: ['/bin/sh', '-c', LAUNCHER_SCRIPT],
  });
  const hash = createHash('sha256')
    .update(JSON.stringify({ spec: base, imageId }))
    .digest('hex')
    .slice(0, 16);
  const spec = { ...base, labels: previewContainerLabels(app.labels, app.app, app.port, hash) };
  return {
    spec,
    hash,
    image,
    volumes,
    launch,
    appComponents,
    appDir,
    ...(fixedHotReload !== undefined ? { fixedHotReload } : {}),
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Bad input is refused before anything is made, with what to change. */
function checkApp(app: PreviewApp): void {
  const bad = (field: string, why: string) =>
    new BerthError('INVALID_ARGUMENT', `preview "${app.app}": ${field} ${why}`, { app: app.app, field });
  for (const [field, value] of [
    ['team', app.team],
    ['app', app.app],
    ['network', app.network],
  ] as const) {
    if (typeof value !== 'string' || value.trim() === '' || value.length > 200)
      throw bad(field, 'must be a non-empty name');
  }
  if (!Number.isInteger(app.port) || app.port < 1 || app.port > 65535)
    throw bad('port', `${app.port} is not a TCP port`);
  if (!isAbsolute(app.workspace)) throw bad('workspace', 'must be an absolute host folder');
  if (app.devCommand.trim() === '')
    throw bad('dev.command', 'is empty: say how the dev server starts in berth.team.yaml');
  if (/\$\{?PORT\b/.test(app.devCommand))
    throw bad('dev.command', 'still holds $PORT: fill it with the port (fillPort) first');
  if (!['node', 'python', 'static'].includes(app.runtime))
    throw bad('runtime', `"${String(app.runtime)}" is not node, python or static`);
  if (!['auto', 'always', 'never'].includes(app.polling))
    throw bad('hotReload.polling', 'must be auto, always or never');
  for (const name of [...Object.keys(app.pollingEnv), ...Object.keys(app.devEnv)]) {
    if (!ENV_NAME.test(name)) throw bad('env', `has "${name}", which is not a variable name`);
    if (name.startsWith('BERTH_')) throw bad('env', `sets ${name}: BERTH_ variables are berth's own`);
  }
  for (const v of Object.values(app.pollingEnv))
    if (v.includes('\n')) throw bad('hotReload.pollingEnv', 'values must be one line');
  for (const h of app.hosts ?? [])
    if (!/^[A-Za-z0-9.-]+$/.test(h)) throw bad('hosts', `has "${h}", which is not a host name`);
}
