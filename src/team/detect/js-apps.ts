import { ANY_HOST, npxBin, OTHER_FRONTENDS } from './dev-command.js';
import { hotReloadFor } from './hot-reload.js';
import type { PackageFacts } from './package-facts.js';
import { join, shown, type RepoReader } from './repo-reader.js';
import type { DetectedApp } from './types.js';
import type { VercelMatch } from './vercel-detectors.js';

/** An app before it is named (names are given once every app of the repository is known). */
export type UnnamedApp = Omit<DetectedApp, 'name'> & { kind: 'web' | 'api' };

/** Where a JS app sits: its folder, and the folder its dependencies install in. */
export interface JsPlace {
  folder: string;
  installFolder: string;
}

const SERVER_FRAMEWORKS = new Set(['express', 'hono', 'koa', 'fastify', 'nestjs', 'h3', 'elysia']);
const ENTRY_FILES = [
  'server.js',
  'server.mjs',
  'server.cjs',
  'index.js',
  'index.mjs',
  'app.js',
  'src/server.js',
  'src/index.js',
];
const VITE_CONFIGS = [
  'vite.config.ts',
  'vite.config.js',
  'vite.config.mjs',
  'vite.config.mts',
  'vite.config.cjs',
];
const NEXT_CONFIGS = ['next.config.js', 'next.config.mjs', 'next.config.ts', 'next.config.cjs'];
/** `node <file>` in a start script: a plain relative file name, nothing a shell would expand. */
const NODE_START = /^node\s+(\.\/)?((?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_./-]*\.[cm]?js)$/;

/**
 * berth's table for a folder with a package.json, on top of the Vercel matches: Next.js,
 * Create React App, Vite (React or not), the other Vercel front ends, Express and the other
 * Node server frameworks, and plain Node (a dev or start script, or a server entry file).
 */
export function jsApp(
  reader: RepoReader,
  place: JsPlace,
  pkg: PackageFacts,
  matches: readonly VercelMatch[],
): UnnamedApp | undefined {
  const slugs = new Map(matches.map((m) => [m.slug, m]));
  const { folder } = place;
  const base = (
    framework: string,
    confidence: number,
    evidence: string[],
    command: string,
    env: Record<string, string> = {},
  ) => app(reader, place, pkg, framework, confidence, evidence, { command, env });

  const next = slugs.get('nextjs');
  if (next) {
    const config = firstPresent(reader, folder, NEXT_CONFIGS);
    return base(
      'nextjs',
      config ? 0.98 : 0.95,
      [...next.evidence, ...(config ? [`${config} present`] : [])],
      npxBin(`next dev -H ${ANY_HOST} -p $PORT`),
      {
        NEXT_TELEMETRY_DISABLED: '1',
      },
    );
  }
  const cra = slugs.get('create-react-app');
  if (cra) {
    return base('create-react-app', 0.95, cra.evidence, npxBin('react-scripts start'), {
      HOST: ANY_HOST,
      PORT: '$PORT',
      BROWSER: 'none',
    });
  }
  const vite = slugs.get('vite');
  if (vite) {
    const config = firstPresent(reader, folder, VITE_CONFIGS);
    const evidence = [...vite.evidence, ...(config ? [`${config} present`] : [])];
    const react = pkg.deps.get('react');
    const reactPlugin = ['@vitejs/plugin-react', '@vitejs/plugin-react-swc'].find((p) => pkg.deps.has(p));
    if (react !== undefined)
      evidence.push(
        `package.json depends on react@${shown(react)}${reactPlugin ? ` and ${reactPlugin}` : ''}`,
      );
    const hasHtml = reader.kind(join(folder, 'index.html')) === 'file';
    if (hasHtml) evidence.push('index.html present');
    const confidence = config || hasHtml ? 0.95 : 0.85;
    const made = base(
      react !== undefined ? 'vite-react' : 'vite',
      confidence,
      evidence,
      npxBin(`vite --host ${ANY_HOST} --port $PORT --strictPort`),
    );
    return withConfig(made, config);
  }
  const other = matches.find((m) => m.devCommand !== null && !SERVER_FRAMEWORKS.has(m.slug));
  if (other) {
    const known = OTHER_FRONTENDS[other.slug];
    const made = base(other.slug, known ? 0.8 : 0.5, other.evidence, npxBin(known ?? other.devCommand!));
    if (!known)
      made.hotReload.notes.push(
        `berth does not know how ${other.name}'s dev server binds 0.0.0.0; check the command in berth.team.yaml`,
      );
    return made;
  }
  return serverApp(reader, place, pkg, matches);
}

/** Express and its kin, or plain Node: what a package.json runs, with reload where berth can add it. */
function serverApp(
  reader: RepoReader,
  place: JsPlace,
  pkg: PackageFacts,
  matches: readonly VercelMatch[],
): UnnamedApp | undefined {
  const { folder } = place;
  const server = matches.find((m) => SERVER_FRAMEWORKS.has(m.slug));
  const express = pkg.deps.get('express');
  const dev = pkg.scripts.get('dev');
  const start = pkg.scripts.get('start');
  const startEntry = start !== undefined ? NODE_START.exec(start.trim())?.[2] : undefined;
  const entry = startEntry ?? firstPresent(reader, folder, ENTRY_FILES);
  const evidence: string[] = [];
  let framework = 'node';
  let confidence: number;
  if (server) {
    framework = server.slug;
    evidence.push(...server.evidence);
    confidence = 0.9;
  } else if (express !== undefined && (dev !== undefined || start !== undefined || entry !== undefined)) {
    framework = 'express';
    evidence.push(`package.json depends on express@${shown(express)}`);
    confidence = 0.75;
  } else if (pkg.workspaces.length > 0) {
    return undefined; // a workspace root that is no app itself: its packages are the apps
  } else if (dev !== undefined || start !== undefined) {
    confidence = 0.6;
  } else if (matches.some((m) => m.slug === 'node') && entry !== undefined) {
    evidence.push(...matches.find((m) => m.slug === 'node')!.evidence);
    confidence = 0.5;
  } else {
    return undefined;
  }
  let command: string;
  if (dev !== undefined) {
    command = 'npm run dev';
    evidence.push(`package.json has a dev script (${clip(dev)})`);
  } else if (startEntry !== undefined) {
    command = `node --watch ${startEntry}`;
    evidence.push(`package.json start script runs node ${startEntry}; berth adds --watch to reload`);
  } else if (start !== undefined) {
    command = 'npm start';
    evidence.push(`package.json has a start script (${clip(start)})`);
  } else {
    command = `node --watch ${entry!}`;
    evidence.push(`${entry!} present`);
  }
  const made = app(reader, place, pkg, framework, confidence, evidence, {
    command,
    env: { HOST: ANY_HOST, PORT: '$PORT' },
  });
  made.hotReload.notes.push(
    'the server must read PORT (berth sets PORT and HOST); a hard-coded port fails the health check',
  );
  return { ...made, kind: 'api' };
}

function app(
  reader: RepoReader,
  place: JsPlace,
  pkg: PackageFacts,
  framework: string,
  confidence: number,
  evidence: string[],
  dev: { command: string; env: Record<string, string> },
): UnnamedApp {
  const made: UnnamedApp = {
    root: place.folder,
    kind: 'web',
    framework,
    runtime: 'node',
    dev,
    evidence,
    confidence,
    hotReload: hotReloadFor(framework),
  };
  const install = installCommand(reader, place.installFolder, pkg);
  if (install) {
    made.install = install.command;
    made.evidence.push(install.evidence);
    if (place.installFolder !== place.folder) made.installRoot = place.installFolder;
  }
  return made;
}

function withConfig(made: UnnamedApp, config: string | undefined): UnnamedApp {
  if (config) made.hotReload.configFile = config;
  return made;
}

/** The lock file decides the package manager; without one, npm install. None without dependencies. */
function installCommand(
  reader: RepoReader,
  installFolder: string,
  pkg: PackageFacts,
): { command: string; evidence: string } | undefined {
  if (pkg.deps.size === 0) return undefined;
  const has = (name: string) => reader.kind(join(installFolder, name)) === 'file';
  const where = installFolder === '' ? '' : `${installFolder}/`;
  if (has('package-lock.json') || has('npm-shrinkwrap.json'))
    return { command: 'npm ci', evidence: `${where}package-lock.json present: npm ci` };
  if (has('pnpm-lock.yaml'))
    return {
      command: 'corepack pnpm install --frozen-lockfile',
      evidence: `${where}pnpm-lock.yaml present: pnpm`,
    };
  if (has('yarn.lock'))
    return {
      command: 'corepack yarn install --frozen-lockfile',
      evidence: `${where}yarn.lock present: yarn`,
    };
  return { command: 'npm install', evidence: 'no lock file: npm install' };
}

function firstPresent(reader: RepoReader, folder: string, names: readonly string[]): string | undefined {
  return names.find((n) => reader.kind(join(folder, n)) === 'file');
}

function clip(script: string): string {
  return shown(script, 60);
}
