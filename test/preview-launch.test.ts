import { describe, expect, it } from 'vitest';
import type { Stats } from 'node:fs';
import { devLaunch } from '../src/preview/dev-launch.js';
import { engineName } from '../src/preview/preview-labels.js';
import { planPreview } from '../src/preview/preview-spec.js';
import { endOf } from '../src/preview/preview-status.js';
import type { PreviewApp } from '../src/preview/preview-types.js';
import { viteWrapperSource } from '../src/preview/vite-wrapper.js';
import { previewUserCanEnter } from '../src/preview/workspace-access.js';

const WRAPPER = '/workspace/node_modules/.berth/vite.config.mjs';

function app(over: Partial<PreviewApp> = {}): PreviewApp {
  return {
    team: 't',
    app: 'web',
    framework: 'vite-react',
    runtime: 'node',
    workspace: '/srv/ws',
    root: '',
    devCommand: 'npx --no -- vite --host 0.0.0.0 --port 5173 --strictPort',
    devEnv: {},
    install: 'npm install',
    polling: 'auto',
    pollingEnv: { CHOKIDAR_USEPOLLING: 'true' },
    configFile: 'vite.config.js',
    port: 5173,
    network: 'berth-t',
    labels: { 'berth.team': 't', 'berth.app': 'web' },
    teamLabels: { 'berth.team': 't' },
    ...over,
  };
}

describe('devLaunch: what berth adds to a detected dev command', () => {
  it('runs Vite with the wrapper config, after the command as detected, and npm scripts through --', () => {
    expect(devLaunch(app(), WRAPPER)).toMatchObject({
      command: `npx --no -- vite --host 0.0.0.0 --port 5173 --strictPort --config ${WRAPPER}`,
      viteWrapper: true,
      env: { PORT: '5173', HOST: '0.0.0.0' },
    });
    expect(devLaunch(app({ devCommand: 'npm run dev' }), WRAPPER).command).toBe(
      `npm run dev -- --config ${WRAPPER}`,
    );
    expect(devLaunch(app({ devCommand: 'npm run dev -- --open' }), WRAPPER).command).toBe(
      `npm run dev -- --open --config ${WRAPPER}`,
    );
  });

  it('leaves a command that names its own config, or a compound one, as it is and says so', () => {
    for (const devCommand of ['vite --config other.config.js', 'cd web && vite', 'vite -c x.js']) {
      const l = devLaunch(app({ devCommand }), WRAPPER);
      expect(l.command).toBe(devCommand);
      expect(l.viteWrapper).toBe(false);
      expect(l.notes.join(' ')).toMatch(/did not add its wrapper/);
    }
  });

  it('sets the variables CRA, Next, Flask and uvicorn read, and binds Django to 0.0.0.0', () => {
    expect(
      devLaunch(
        app({ framework: 'create-react-app', devCommand: 'npx --no -- react-scripts start' }),
        WRAPPER,
      ).env,
    ).toMatchObject({
      BROWSER: 'none',
      WDS_SOCKET_PORT: '5173',
      HOST: '0.0.0.0',
      PORT: '5173',
    });
    expect(
      devLaunch(app({ framework: 'nextjs', devCommand: 'next dev -H 0.0.0.0 -p 5173' }), WRAPPER).env
        .HOSTNAME,
    ).toBe('0.0.0.0');
    const next = devLaunch(
      app({ framework: 'nextjs', devCommand: 'next dev', hosts: ['web.example'] }),
      WRAPPER,
    );
    expect(next.notes.join(' ')).toMatch(/allowedDevOrigins/);
    const flask = devLaunch(
      app({
        framework: 'flask',
        runtime: 'python',
        devCommand: 'python3 -m flask --app app run --host 0.0.0.0 --port 5173 --debug',
      }),
      WRAPPER,
    );
    // Flask 2.2 (Debian bookworm) has --debug on the group only
    expect(flask.command).toBe('python3 -m flask --app app --debug run --host 0.0.0.0 --port 5173');
    expect(flask.env).toMatchObject({ FLASK_RUN_HOST: '0.0.0.0', FLASK_DEBUG: '1' });
    expect(
      devLaunch(app({ framework: 'fastapi', devCommand: 'uvicorn main:app' }), WRAPPER).env,
    ).toMatchObject({
      UVICORN_HOST: '0.0.0.0',
      UVICORN_RELOAD: 'true',
    });
    expect(
      devLaunch(app({ framework: 'django', devCommand: 'python3 manage.py runserver' }), WRAPPER).command,
    ).toBe('python3 manage.py runserver 0.0.0.0:5173');
  });
});

describe('the Vite wrapper config', () => {
  it("imports the app's config and merges host, port, allowed hosts, HMR port and polling", () => {
    const text = viteWrapperSource({
      configPath: '/workspace/web/vite.config.ts',
      port: 6100,
      allowedHosts: ['web.example'],
    });
    expect(text).toContain('import * as own from "/workspace/web/vite.config.ts";');
    expect(text).toContain("import { mergeConfig } from 'vite';");
    expect(text).toContain('const allowedHosts = ["localhost","web.example"];');
    expect(text).toContain('hmr: { clientPort: port }');
    expect(text).toMatch(/process\.env\.BERTH_HOT_RELOAD === 'polling'/);
    expect(viteWrapperSource({ port: 1, allowedHosts: [] })).toContain('const own = {};');
  });
});

describe('planPreview', () => {
  it('is the hardened template: uid 1000, no capabilities, limits, the port on 127.0.0.1 with the same number', () => {
    const plan = planPreview(app(), 'sha256:abc', { namePrefix: 'berth' });
    expect(plan.spec.user).toBe('1000:1000');
    expect(plan.spec.security).toMatchObject({ capDrop: ['ALL'], capAdd: [], noNewPrivileges: true });
    expect(plan.spec.resources).toMatchObject({ cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 512 });
    expect(plan.spec.ports).toEqual([{ containerPort: 5173, hostPort: 5173, hostIp: '127.0.0.1' }]);
    expect(plan.spec.labels).toMatchObject({
      'berth.role': 'preview',
      'berth.app': 'web',
      'berth.preview-app': 'web',
    });
    expect(plan.volumes.map((v) => v.target)).toEqual(['/workspace/node_modules', '/home/berth/.npm']);
    // the team's cache carries the team's labels only: removing one app leaves it
    expect(plan.volumes[1]!.labels['berth.app']).toBeUndefined();
    expect(plan.spec.env.BERTH_VITE_WRAPPER).toContain('/workspace/vite.config.js');
    expect(plan.spec.env.CHOKIDAR_USEPOLLING).toBeUndefined();
    const always = planPreview(app({ polling: 'always', limits: { cpus: 1 } }), 'sha256:abc', {
      namePrefix: 'berth',
    });
    expect(always.spec.env.CHOKIDAR_USEPOLLING).toBe('true');
    expect(always.spec.resources.cpus).toBe(1);
    expect(always.hash).not.toBe(plan.hash);
    expect(planPreview(app(), 'sha256:abc', { namePrefix: 'berth' }).hash).toBe(plan.hash);
    expect(planPreview(app(), 'sha256:new', { namePrefix: 'berth' }).hash).not.toBe(plan.hash);
  });

  it('refuses bad input with what to change', () => {
    const plan = (over: Partial<PreviewApp>) => () => planPreview(app(over), 'x', { namePrefix: 'berth' });
    expect(plan({ port: 70000 })).toThrow(/port 70000 is not a TCP port/);
    expect(plan({ devCommand: 'vite --port $PORT' })).toThrow(/still holds \$PORT/);
    expect(plan({ devCommand: ' ' })).toThrow(/dev.command is empty/);
    expect(plan({ devEnv: { 'A-B': '1' } })).toThrow(/not a variable name/);
    expect(plan({ devEnv: { BERTH_APP_DIR: '/' } })).toThrow(/berth's own/);
    expect(plan({ root: '../elsewhere' })).toThrow(/leaves the project/);
    expect(plan({ workspace: 'relative' })).toThrow(/absolute host folder/);
    expect(plan({ runtime: 'python' })).toThrow(/Vite app but its runtime is python/);
  });

  it('names engine objects readably and without collisions', () => {
    expect(engineName('berth', 'my team', 'web')).toMatch(/^berth-my-team-web-[0-9a-f]{8}$/);
    expect(engineName('b', 'a.b', 'c')).not.toBe(engineName('b', 'a', 'b.c'));
  });
});

describe('status helpers', () => {
  it("reads how a preview ended from the launcher's last word", () => {
    expect(endOf(['x', 'berth: the dev server exited with code 3'])).toEqual({
      stopped: false,
      exitCode: 3,
      what: 'dev server',
    });
    expect(endOf(['berth: the install exited with code 1'])).toMatchObject({ exitCode: 1, what: 'install' });
    expect(endOf(['berth: the dev server exited with code 3', 'berth: stopped by signal'])).toEqual({
      stopped: true,
    });
    expect(endOf(['Killed'])).toEqual({ stopped: false });
  });

  it('knows when uid 1000 can enter a folder', () => {
    const st = (uid: number, gid: number, mode: number) => ({ uid, gid, mode }) as Stats;
    expect(previewUserCanEnter(st(1000, 1000, 0o700))).toBe(true);
    expect(previewUserCanEnter(st(0, 0, 0o700))).toBe(false);
    expect(previewUserCanEnter(st(0, 0, 0o755))).toBe(true);
    expect(previewUserCanEnter(st(0, 1000, 0o750))).toBe(true);
  });
});
