import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import type { z } from 'zod';
import { BerthError } from '../errors.js';
import { configSchema, PROJECT_NAME, type RawProject } from './schema.js';
import { parseSize } from './sizes.js';
import {
  DEFAULT_IMAGE,
  DEFAULT_OPS,
  DEFAULT_RESOURCES,
  DEFAULT_SYNC,
  DEFAULT_SYNC_IGNORE,
  type ProjectSync,
  type HubConfig,
  type OpsPolicyConfig,
  type ProjectConfig,
} from './types.js';

export const CONFIG_NAMES = ['berth.yaml', 'berth.yml'];

export interface LoadConfigOptions {
  /** Explicit config file (`-f`); must exist. */
  file?: string;
  /** Folder to search for berth.yaml, and the project in folder mode. */
  cwd: string;
  /** Image for folder mode when the folder has no Dockerfile. */
  defaultImage?: string;
}

/** Reads berth.yaml (or falls back to folder mode) once, validates it, and resolves it. */
export function loadConfig(options: LoadConfigOptions): HubConfig {
  const cwd = resolve(options.cwd);
  const file = options.file !== undefined ? resolve(cwd, options.file) : findConfig(cwd);
  if (options.file !== undefined && (file === undefined || !existsSync(file))) {
    throw new BerthError('CONFIG_NOT_FOUND', `config file ${options.file} does not exist`, {
      file: options.file,
    });
  }
  if (file === undefined) return folderModeConfig(cwd, options.defaultImage ?? DEFAULT_IMAGE);
  return parseConfig(readFileSync(file, 'utf8'), file);
}

function findConfig(cwd: string): string | undefined {
  return CONFIG_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
}

export function hubIdFor(anchor: string): string {
  return createHash('sha256').update(anchor).digest('hex').slice(0, 8);
}

/** Parses config text. `file` is used for resolving relative paths and in error messages. */
export function parseConfig(text: string, file: string): HubConfig {
  const shown = basename(file);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const duplicate = findDuplicateProject(doc.contents);
  if (duplicate) {
    throw new BerthError(
      'CONFIG_INVALID',
      `${shown}: projects.${duplicate}: duplicate project name "${duplicate}"`,
      {
        file,
        field: `projects.${duplicate}`,
      },
    );
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    throw new BerthError(
      'CONFIG_INVALID',
      `${shown}${where}: invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      {
        file,
      },
    );
  }
  const parsed = configSchema.safeParse(doc.toJS());
  if (!parsed.success) throw schemaError(shown, file, parsed.error);
  const base = dirname(file);
  const projects = Object.entries(parsed.data.projects).map(([name, p]) => resolveProject(name, p, base));
  const raw = parsed.data.ops;
  const ops: OpsPolicyConfig = {
    denyCommands: raw?.deny_commands ?? DEFAULT_OPS.denyCommands,
    maxConcurrent: raw?.max_concurrent ?? DEFAULT_OPS.maxConcurrent,
    defaultTimeoutMs: raw?.default_timeout_ms ?? DEFAULT_OPS.defaultTimeoutMs,
    ...(raw?.allow_targets !== undefined ? { allowTargets: raw.allow_targets } : {}),
    ...(raw?.url !== undefined ? { url: raw.url } : {}),
  };
  return { file, hubId: hubIdFor(file), projects, ops };
}

function findDuplicateProject(contents: unknown): string | undefined {
  if (!isMap(contents)) return undefined;
  const projects = contents.items.find((pair) => isScalar(pair.key) && pair.key.value === 'projects')?.value;
  if (!isMap(projects)) return undefined;
  const seen = new Set<string>();
  for (const pair of projects.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (key === undefined) continue;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

function schemaError(shown: string, file: string, error: z.ZodError): BerthError {
  const lines = error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(top level)';
    return `${field}: ${issue.message}`;
  });
  const first = error.issues[0];
  return new BerthError('CONFIG_INVALID', `${shown}: ${lines.join('; ')}`, {
    file,
    field: first?.path.map(String).join('.'),
    issues: lines,
  });
}

function resolveProject(name: string, p: RawProject, base: string): ProjectConfig {
  const env = Object.fromEntries(Object.entries(p.env ?? {}).map(([k, v]) => [k, String(v)]));
  const project: ProjectConfig = {
    name,
    path: isAbsolute(p.path) ? p.path : resolve(base, p.path),
    commands: { ...(p.commands ?? {}) },
    env,
    resources: {
      cpus: p.resources?.cpus ?? DEFAULT_RESOURCES.cpus,
      memoryBytes:
        p.resources?.memory !== undefined
          ? (parseSize(p.resources.memory) ?? DEFAULT_RESOURCES.memoryBytes)
          : DEFAULT_RESOURCES.memoryBytes,
      pids: p.resources?.pids ?? DEFAULT_RESOURCES.pids,
    },
    network: p.network ?? 'isolated',
    workspace: p.workspace ?? 'bind',
    sync: resolveSync(p.sync),
  };
  if (p.image !== undefined) project.image = p.image;
  if (p.build !== undefined) {
    project.build = {
      context: resolve(base, p.build.context),
      dockerfile: p.build.dockerfile ?? 'Dockerfile',
      args: { ...(p.build.args ?? {}) },
    };
  }
  return project;
}

function resolveSync(raw: RawProject['sync']): ProjectSync {
  const sync: ProjectSync = {
    ignore: raw?.ignore ? [...DEFAULT_SYNC_IGNORE, ...raw.ignore] : [...DEFAULT_SYNC.ignore],
    atticMaxBytes:
      raw?.attic_max !== undefined
        ? (parseSize(raw.attic_max) ?? DEFAULT_SYNC.atticMaxBytes)
        : DEFAULT_SYNC.atticMaxBytes,
  };
  if (raw?.owner) {
    const [uid, gid] = raw.owner.split(':').map(Number) as [number, number];
    sync.owner = { uid, gid };
  }
  return sync;
}

/** No berth.yaml: the folder itself is one project, named after the folder. */
function folderModeConfig(folder: string, defaultImage: string): HubConfig {
  const name = projectNameFromFolder(folder);
  const hasDockerfile = existsSync(join(folder, 'Dockerfile'));
  const project: ProjectConfig = {
    name,
    path: folder,
    commands: {},
    env: {},
    resources: { ...DEFAULT_RESOURCES },
    network: 'isolated',
    workspace: 'bind',
    sync: { ...DEFAULT_SYNC, ignore: [...DEFAULT_SYNC.ignore] },
  };
  if (hasDockerfile) project.build = { context: folder, dockerfile: 'Dockerfile', args: {} };
  else project.image = defaultImage;
  return { hubId: hubIdFor(folder), projects: [project], ops: { ...DEFAULT_OPS } };
}

export function projectNameFromFolder(folder: string): string {
  const cleaned = basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
  return PROJECT_NAME.test(cleaned) ? cleaned : 'project';
}
