import { ANY_HOST } from './dev-command.js';
import { hotReloadFor } from './hot-reload.js';
import type { UnnamedApp } from './js-apps.js';
import type { PythonFacts } from './python-facts.js';
import { join, type RepoReader } from './repo-reader.js';
import type { VercelMatch } from './vercel-detectors.js';

/** Module files a Flask or FastAPI app usually lives in, in the order berth tries them. */
const FLASK_FILES = [
  'app.py',
  'wsgi.py',
  'application.py',
  'main.py',
  'server.py',
  'run.py',
  'app/__init__.py',
  'src/app.py',
];
const FASTAPI_FILES = [
  'main.py',
  'app.py',
  'api.py',
  'server.py',
  'app/main.py',
  'src/main.py',
  'app/__init__.py',
  'src/app/main.py',
];
/** A module path segment python can import, so nothing from the repository reaches a shell. */
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FASTAPI_VAR = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=\s*(?:fastapi\.)?FastAPI\(/m;
const FLASK_APP = /(?:^|[^A-Za-z0-9_])(?:Flask\(|def\s+create_app\s*\()/;

/**
 * berth's table for Python (the Vercel records name Django, Flask and FastAPI but have no dev
 * command): Django needs manage.py; Flask and FastAPI need the package in a requirements file
 * and, for full confidence, a module that makes the app. Django wins over FastAPI over Flask
 * at one folder. Python packages come from the preview image (Debian's), so no install.
 */
export function pythonApp(
  reader: RepoReader,
  folder: string,
  py: PythonFacts | undefined,
  matches: readonly VercelMatch[],
): UnnamedApp | undefined {
  const listed = (name: string) => py?.packages.get(name);
  const vercel = (slug: string) =>
    matches.some((m) => m.slug === slug) ? [`@vercel/frameworks detects ${slug}`] : [];

  const managePy = join(folder, 'manage.py');
  if (reader.kind(managePy) === 'file') {
    const django = listed('django');
    const settings = /DJANGO_SETTINGS_MODULE/.test(reader.readHead(managePy) ?? '');
    if (django || settings) {
      const evidence = [
        'manage.py present',
        ...(django ? [django] : []),
        ...(settings ? ['manage.py sets DJANGO_SETTINGS_MODULE'] : []),
      ];
      return python(
        folder,
        'django',
        django ? 0.95 : 0.8,
        [...evidence, ...vercel('django')],
        `python3 manage.py runserver ${ANY_HOST}:$PORT`,
      );
    }
  }
  const fastapi = listed('fastapi');
  const flask = listed('flask');
  const fastapiModule = fastapi ? findModule(reader, folder, FASTAPI_FILES, FASTAPI_VAR) : undefined;
  if (fastapi && fastapiModule) {
    const target = `${fastapiModule.module}:${fastapiModule.variable ?? 'app'}`;
    return python(
      folder,
      'fastapi',
      0.95,
      [fastapi, `${fastapiModule.file} creates FastAPI() as ${target}`, ...vercel('fastapi')],
      uvicorn(target),
    );
  }
  const flaskModule = flask ? findModule(reader, folder, FLASK_FILES, FLASK_APP) : undefined;
  if (flask && flaskModule) {
    return python(
      folder,
      'flask',
      0.9,
      [flask, `${flaskModule.file} makes a Flask app`, ...vercel('flask')],
      flaskRun(flaskModule.module),
    );
  }
  if (fastapi) {
    const app = python(
      folder,
      'fastapi',
      0.5,
      [fastapi, 'no module creating FastAPI() found; main:app is a guess', ...vercel('fastapi')],
      uvicorn('main:app'),
    );
    return app;
  }
  if (flask) {
    return python(
      folder,
      'flask',
      0.5,
      [flask, 'no module making a Flask app found; app is a guess', ...vercel('flask')],
      flaskRun('app'),
    );
  }
  return undefined;
}

function uvicorn(target: string): string {
  return `python3 -m uvicorn ${target} --host ${ANY_HOST} --port $PORT --reload`;
}

/** `--debug` before `run`: Flask 2.2 (Debian bookworm's) knows it only there; 2.3 and later take both. */
function flaskRun(module: string): string {
  return `python3 -m flask --app ${module} --debug run --host ${ANY_HOST} --port $PORT`;
}

function python(
  folder: string,
  framework: string,
  confidence: number,
  evidence: string[],
  command: string,
): UnnamedApp {
  return {
    root: folder,
    kind: 'api',
    framework,
    runtime: 'python',
    dev: { command, env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' } },
    evidence,
    confidence,
    hotReload: hotReloadFor(framework),
  };
}

/** The first candidate file whose head matches, as an importable module path ("app.main"). */
function findModule(
  reader: RepoReader,
  folder: string,
  files: readonly string[],
  pattern: RegExp,
): { file: string; module: string; variable?: string } | undefined {
  for (const file of files) {
    const text = reader.readHead(join(folder, file));
    const m = text === undefined ? null : pattern.exec(text);
    if (!m) continue;
    const parts = file.replace(/(\/__init__)?\.py$/, '').split('/');
    if (!parts.every((p) => IDENT.test(p))) continue;
    const variable = m[1];
    return { file, module: parts.join('.'), ...(variable !== undefined ? { variable } : {}) };
  }
  return undefined;
}
