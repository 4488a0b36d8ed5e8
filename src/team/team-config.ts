import { basename } from 'node:path';
import { Document, isMap, isScalar, parseDocument } from 'yaml';
import type { z } from 'zod';
import { BerthError } from '../errors.js';
import type { AppRuntime, DetectedApp, DevCommand } from './detect/types.js';
import { teamConfigSchema, type RawTeamApp } from './team-config-schema.js';

/** The team's config file, beside its workspace. */
export const TEAM_CONFIG_NAME = 'berth.team.yaml';

export type PollingMode = 'auto' | 'always' | 'never';

/** One app of a team as the team's config holds it (after the user's edits). */
export interface TeamApp {
  name: string;
  /** '' is the repository root (written "." in the file). */
  root: string;
  framework: string;
  runtime: AppRuntime;
  /** Only preview containers today; agent containers will be another role. */
  role: 'preview';
  /** false: berth does not start it (and, being listed, does not add it back either). */
  enabled: boolean;
  dev: DevCommand;
  install?: string;
  installRoot?: string;
  /** A fixed published port instead of one from the pool. */
  port?: number;
  /** The app's own image instead of berth's per-runtime preview image. */
  image?: string;
  hotReload: {
    /** auto: the inotify canary decides; always / never override it. */
    polling: PollingMode;
    pollingEnv: Record<string, string>;
    configFile?: string;
  };
  /** What berth found when it wrote this app; informational, berth does not read it back. */
  detected?: { confidence: number; evidence: string[] };
}

export interface TeamConfig {
  version: 1;
  /** false: berth adds no newly detected apps on start. */
  autodetect: boolean;
  /** A PEM bundle for the previews (a TLS-intercepting proxy); wins over BERTH_CA_BUNDLE. */
  caBundle?: string;
  /** How previews see the work tree; undefined: sync when the engine cannot bind-mount (team-workspace.ts). */
  workspace?: 'bind' | 'sync';
  /** Ignore rules a synced work tree adds to the defaults. */
  syncIgnore?: string[];
  apps: TeamApp[];
}

const HEADER = [
  ' berth.team.yaml: the apps berth starts a preview container for, one per app.',
  ' Written by `berth team start` from what it detected; edit it freely, it wins on the next start:',
  ' berth never changes an app listed here, and only adds apps it newly detects (set',
  ' autodetect: false to stop that). To keep berth from starting an app, set enabled: false;',
  ' an app deleted from this file comes back when it is detected again.',
  " In dev.command and dev.env, $PORT is the preview port (from the pool, or the app's port).",
  ' The dev server must listen on 0.0.0.0 inside the container.',
  ' workspace: bind mounts the work tree into the previews; sync gives them a volume kept in',
  " two-way sync with it (the default when the engine cannot bind-mount this machine's folders).",
].join('\n');

export function teamAppFromDetected(app: DetectedApp): TeamApp {
  const out: TeamApp = {
    name: app.name,
    root: app.root,
    framework: app.framework,
    runtime: app.runtime,
    role: 'preview',
    enabled: true,
    dev: { command: app.dev.command, env: { ...app.dev.env } },
    hotReload: { polling: 'auto', pollingEnv: { ...app.hotReload.pollingEnv } },
    detected: { confidence: app.confidence, evidence: [...app.evidence] },
  };
  if (app.install !== undefined) out.install = app.install;
  if (app.installRoot !== undefined) out.installRoot = app.installRoot;
  if (app.hotReload.configFile !== undefined) out.hotReload.configFile = app.hotReload.configFile;
  return out;
}

/** The file's text, for detected apps (a first start) or a whole config (after a merge). */
export function renderTeamConfig(
  input: readonly DetectedApp[] | TeamConfig,
  notes?: ReadonlyMap<string, string[]>,
): string {
  const config: TeamConfig = isConfig(input)
    ? input
    : { version: 1, autodetect: true, apps: input.map(teamAppFromDetected) };
  const hotNotes: ReadonlyMap<string, string[]> =
    notes ?? new Map(isConfig(input) ? [] : input.map((a) => [a.name, a.hotReload.notes]));
  const doc = new Document({
    version: 1,
    autodetect: config.autodetect,
    ...(config.caBundle !== undefined ? { ca_bundle: config.caBundle } : {}),
    ...(config.workspace !== undefined ? { workspace: config.workspace } : {}),
    ...(config.syncIgnore !== undefined ? { sync: { ignore: config.syncIgnore } } : {}),
    apps: Object.fromEntries(config.apps.map((a) => [a.name, rawApp(a)])),
  });
  doc.commentBefore = HEADER;
  const apps = doc.get('apps', true);
  if (isMap(apps)) {
    for (const pair of apps.items) {
      const app = config.apps.find((a) => isScalar(pair.key) && a.name === pair.key.value);
      if (!app || !isScalar(pair.key)) continue;
      const where = app.root === '' ? 'the repository root' : `${app.root}/`;
      const lines = [
        ` ${app.framework} in ${where}`,
        ...(hotNotes.get(app.name) ?? []).map((n) => ` hot reload: ${n}`),
      ];
      pair.key.commentBefore = lines.join('\n');
    }
  }
  return doc.toString({ lineWidth: 0 });
}

function isConfig(input: readonly DetectedApp[] | TeamConfig): input is TeamConfig {
  return !Array.isArray(input);
}

function rawApp(a: TeamApp): RawTeamApp {
  const raw: RawTeamApp = {
    root: a.root === '' ? '.' : a.root,
    framework: a.framework,
    runtime: a.runtime,
    role: a.role,
    enabled: a.enabled,
    dev: { command: a.dev.command, env: a.dev.env },
  };
  if (a.install !== undefined) raw.install = a.install;
  if (a.installRoot !== undefined) raw.install_root = a.installRoot === '' ? '.' : a.installRoot;
  if (a.port !== undefined) raw.port = a.port;
  if (a.image !== undefined) raw.image = a.image;
  raw.hot_reload = {
    polling: a.hotReload.polling,
    polling_env: a.hotReload.pollingEnv,
    ...(a.hotReload.configFile !== undefined ? { config_file: a.hotReload.configFile } : {}),
  };
  if (a.detected) raw.detected = a.detected;
  return raw;
}

/**
 * Parses a berth.team.yaml strictly: unknown fields, duplicate names, bad values and two apps
 * on one fixed port are errors naming the file and the field. `file` is only for messages.
 */
export function parseTeamConfig(text: string, file: string): TeamConfig {
  const shown = basename(file);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    const what = e.code === 'DUPLICATE_KEY' ? 'a name is used twice' : 'invalid YAML';
    throw new BerthError(
      'CONFIG_INVALID',
      `${shown}${where}: ${what}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      { file },
    );
  }
  const parsed = teamConfigSchema.safeParse(doc.toJS());
  if (!parsed.success) throw schemaError(shown, file, parsed.error);
  const apps = Object.entries(parsed.data.apps).map(([name, raw]) => resolveApp(name, raw));
  const ports = new Map<number, string>();
  for (const app of apps) {
    if (app.port === undefined) continue;
    const other = ports.get(app.port);
    if (other !== undefined) {
      throw new BerthError(
        'CONFIG_INVALID',
        `${shown}: apps.${app.name}.port: ${app.port} is also the port of app "${other}"`,
        {
          file,
          field: `apps.${app.name}.port`,
        },
      );
    }
    ports.set(app.port, app.name);
  }
  return {
    version: 1,
    autodetect: parsed.data.autodetect ?? true,
    ...(parsed.data.ca_bundle !== undefined ? { caBundle: parsed.data.ca_bundle } : {}),
    ...(parsed.data.workspace !== undefined ? { workspace: parsed.data.workspace } : {}),
    ...(parsed.data.sync?.ignore !== undefined ? { syncIgnore: parsed.data.sync.ignore } : {}),
    apps,
  };
}

function resolveApp(name: string, raw: RawTeamApp): TeamApp {
  const app: TeamApp = {
    name,
    root: normalizeRoot(raw.root),
    framework: raw.framework,
    runtime: raw.runtime,
    role: raw.role ?? 'preview',
    enabled: raw.enabled ?? true,
    dev: {
      command: raw.dev.command,
      env: Object.fromEntries(Object.entries(raw.dev.env ?? {}).map(([k, v]) => [k, String(v)])),
    },
    hotReload: {
      polling: raw.hot_reload?.polling ?? 'auto',
      pollingEnv: { ...(raw.hot_reload?.polling_env ?? {}) },
    },
  };
  if (raw.install !== undefined) app.install = raw.install;
  if (raw.install_root !== undefined) app.installRoot = normalizeRoot(raw.install_root);
  if (raw.port !== undefined) app.port = raw.port;
  if (raw.image !== undefined) app.image = raw.image;
  if (raw.hot_reload?.config_file !== undefined) app.hotReload.configFile = raw.hot_reload.config_file;
  if (raw.detected)
    app.detected = { confidence: raw.detected.confidence, evidence: [...raw.detected.evidence] };
  return app;
}

/** "." and "./web/" are written by people; '' and 'web' are what berth compares. */
function normalizeRoot(root: string): string {
  return root
    .split('/')
    .filter((c) => c !== '' && c !== '.')
    .join('/');
}

function schemaError(shown: string, file: string, error: z.ZodError): BerthError {
  const lines = error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || '(top level)'}: ${issueMessage(issue)}`,
  );
  return new BerthError('CONFIG_INVALID', `${shown}: ${lines.join('; ')}`, {
    file,
    field: error.issues[0]?.path.map(String).join('.'),
    issues: lines,
  });
}

/** A record key's own message ("an app name is ...") instead of zod's "Invalid key in record". */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues[0]) return issue.issues[0].message;
  return issue.message;
}

/**
 * The config for the next start: every app the file lists stays exactly as written (enabled
 * or not); a detected app is added only when autodetect is on and no listed app has its name
 * or its root with the same runtime. `added` names the new ones (renamed on a name clash).
 */
export function mergeDetected(
  config: TeamConfig,
  detected: readonly DetectedApp[],
): { config: TeamConfig; added: string[] } {
  if (!config.autodetect) return { config, added: [] };
  const apps = [...config.apps];
  const added: string[] = [];
  for (const d of detected) {
    const listed = apps.some((a) => a.name === d.name || (a.root === d.root && a.runtime === d.runtime));
    if (listed) continue;
    const app = teamAppFromDetected(d);
    for (let i = 2; apps.some((a) => a.name === app.name); i++) app.name = `${d.name.slice(0, 36)}-${i}`;
    apps.push(app);
    added.push(app.name);
  }
  return { config: { ...config, apps }, added };
}
