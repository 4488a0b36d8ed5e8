import type { VolumeMount } from '../runtime/container-runtime.js';
import type { Limits } from '../runtime/hardened-spec.js';

export type PreviewRuntime = 'node' | 'python' | 'static';
export type PollingMode = 'auto' | 'always' | 'never';

/**
 * One app's preview, as the team service hands it over (from berth.team.yaml's TeamApp, the
 * port from the PortPool and `$PORT` already filled in by fillPort).
 */
export interface PreviewApp {
  team: string;
  app: string;
  framework: string;
  runtime: PreviewRuntime;
  /** The host folder of the workspace; it is bind-mounted at /workspace (unless workspaceVolume). */
  workspace: string;
  /**
   * A synced workspace: this volume is mounted at /workspace instead of the host folder (which
   * the sync service keeps in two-way sync with it); the host folder is still what berth reads.
   */
  workspaceVolume?: VolumeMount;
  /** The app's folder relative to the workspace ('' = the workspace itself), '/'-separated. */
  root: string;
  /** Run through `sh -c` in the app's folder; `$PORT` already replaced. */
  devCommand: string;
  devEnv: Record<string, string>;
  install?: string;
  /** Where `install` runs (and node_modules lives), relative to the workspace; default `root`. */
  installRoot?: string;
  /** The app's own image instead of berth's per-runtime one. */
  image?: string;
  polling: PollingMode;
  pollingEnv: Record<string, string>;
  /** The framework's config file, relative to the app's folder (Vite's is wrapped). */
  configFile?: string;
  /** The same number inside the container and on 127.0.0.1 outside. */
  port: number;
  /** The team's network (see ensureTeamNetwork). */
  network: string;
  /** Labels for everything of this app (its container and node_modules volume): team and app. */
  labels: Record<string, string>;
  /**
   * Labels for what the team's apps share (the npm cache volume); give the team's labels
   * without the app's, so removing one app leaves the cache. Default: `labels`.
   */
  teamLabels?: Record<string, string>;
  /** Host path of a PEM bundle to trust (a TLS-intercepting proxy). */
  caBundle?: string;
  limits?: Partial<Limits>;
  /**
   * Host names other than localhost the preview is opened on (Vite's allowedHosts); the URL
   * berth reports stays http://localhost:<port>.
   */
  hosts?: string[];
}

export type PreviewState =
  'installing' | 'starting' | 'ready' | 'unhealthy' | 'crashed' | 'stopped' | 'missing';

export type HotReloadMode = 'inotify' | 'polling';

export interface HotReloadDecision {
  mode: HotReloadMode;
  reason: string;
}

export interface PreviewStatus {
  app: string;
  containerId?: string;
  state: PreviewState;
  url: string;
  port: number;
  startedAt?: string;
  hotReload?: HotReloadDecision;
  /** Set when crashed: the dev server's (or the install's) exit code, when the log says it. */
  exitCode?: number;
  /** Set when crashed, or not ready: the last lines of its log. */
  lastLines?: string[];
  /** What the state means and what to do, when it is not `ready`. */
  detail?: string;
}

export interface StartOptions {
  /** Install and start progress, one line at a time (the container's log while it starts). */
  onProgress?: (line: string) => void;
  /** How long the dev server may take from its start to an HTTP answer (default 90 s). */
  readyTimeoutMs?: number;
  /** How long the install may take (default 10 minutes). */
  installTimeoutMs?: number;
  /**
   * A synced workspace: carries a host write to the volume (a sync barrier). The hot-reload
   * canary calls it after writing its file on the host and after removing it.
   */
  deliverHostWrites?: () => Promise<void>;
}
