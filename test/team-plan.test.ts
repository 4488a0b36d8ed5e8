import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planPreview, previewImage } from '../src/preview/preview-spec.js';
import { teamComposeFile } from '../src/team/team-compose.js';
import { previewPortRange } from '../src/preview/port-pool.js';
import { isBerthError } from '../src/errors.js';
import { checkTeamName } from '../src/team/team-names.js';
import { nothingToRun, planTeam, teamFolders } from '../src/team/team-paths.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/team/', import.meta.url));

/** A team folder as `team start` leaves it after the clone: the work tree holds a fixture. */
function teamWith(fixture: string) {
  const home = mkdtempSync(join(tmpdir(), 'berth-test-plan-'));
  const folders = teamFolders(home, 't');
  cpSync(join(FIXTURES, fixture), folders.workspace, { recursive: true });
  return folders;
}

describe('the team config on each start (no engine)', () => {
  it('a first start writes berth.team.yaml from what was detected, evidence included', () => {
    const folders = teamWith('monorepo');
    const plan = planTeam(folders);
    expect(plan.written).toBe(true);
    expect(plan.config.apps.map((a) => a.name).sort()).toEqual(plan.added.sort());
    const text = readFileSync(folders.configFile, 'utf8');
    expect(text).toMatch(/edit it freely, it wins on the next start/);
    expect(text).toMatch(/evidence:/);
  });

  it("the user's edits win: a changed command and a disabled app stay as written, and nothing is rewritten", () => {
    const folders = teamWith('vite-react');
    planTeam(folders);
    const edited = readFileSync(folders.configFile, 'utf8')
      .replace(/command: .*/, 'command: npx --no -- vite --host 0.0.0.0 --port $PORT --mode staging')
      .replace('enabled: true', 'enabled: false');
    writeFileSync(folders.configFile, `# my own note\n${edited}`);
    const plan = planTeam(folders);
    expect(plan.written).toBe(false);
    expect(plan.config.apps[0]).toMatchObject({ enabled: false });
    expect(plan.config.apps[0]!.dev.command).toMatch(/--mode staging/);
    expect(readFileSync(folders.configFile, 'utf8')).toMatch(/^# my own note/);
    expect(nothingToRun(plan)).toMatch(/enabled: false/);
  });

  it('an app detected later is added unless autodetect is off', () => {
    const folders = teamWith('vite-react');
    planTeam(folders);
    cpSync(join(FIXTURES, 'flask'), join(folders.workspace, 'backend'), { recursive: true });
    const plan = planTeam(folders);
    expect(plan.added).toHaveLength(1);
    expect(plan.config.apps).toHaveLength(2);

    const off = teamWith('vite-react');
    planTeam(off);
    writeFileSync(
      off.configFile,
      readFileSync(off.configFile, 'utf8').replace('autodetect: true', 'autodetect: false'),
    );
    cpSync(join(FIXTURES, 'flask'), join(off.workspace, 'backend'), { recursive: true });
    expect(planTeam(off).added).toEqual([]);
  });

  it('a repository with nothing to run says what was looked for, and writes no config', () => {
    const folders = teamWith('unknown');
    const plan = planTeam(folders);
    expect(plan.config.apps).toEqual([]);
    expect(plan.written).toBe(false);
    expect(nothingToRun(plan)).toMatch(/^no detectable app: looked for /);
  });

  it('a broken berth.team.yaml is an error naming the file and field', () => {
    const folders = teamWith('static');
    planTeam(folders);
    writeFileSync(folders.configFile, 'version: 1\napps:\n  web:\n    root: ../up\n');
    expect(() => planTeam(folders)).toThrow(/berth\.team\.yaml: apps\.web/);
  });

  it('ca_bundle in berth.team.yaml: an absolute path is kept through a rewrite, a relative one refused', () => {
    const folders = teamWith('vite-react');
    planTeam(folders);
    const text = readFileSync(folders.configFile, 'utf8');
    writeFileSync(
      folders.configFile,
      text.replace('autodetect: true', 'autodetect: true\nca_bundle: /etc/ssl/certs/ca-certificates.crt'),
    );
    cpSync(join(FIXTURES, 'flask'), join(folders.workspace, 'backend'), { recursive: true });
    const plan = planTeam(folders);
    expect(plan.written).toBe(true);
    expect(plan.config.caBundle).toBe('/etc/ssl/certs/ca-certificates.crt');
    expect(planTeam(folders).config.caBundle).toBe('/etc/ssl/certs/ca-certificates.crt');
    writeFileSync(
      folders.configFile,
      readFileSync(folders.configFile, 'utf8').replace('ca_bundle: /etc', 'ca_bundle: etc'),
    );
    expect(() => planTeam(folders)).toThrow(/ca_bundle: give the absolute path of a PEM file/);
  });

  it('team names and BERTH_PREVIEW_PORTS are checked', () => {
    for (const bad of ['', 'A', '1a', 'a_b', 'a'.repeat(31), '../x'])
      expect(() => checkTeamName(bad), bad).toThrow(/not a team name/);
    checkTeamName('web-2');
    expect(previewPortRange({ BERTH_PREVIEW_PORTS: '6000-6100' })).toEqual([6000, 6100]);
    expect(previewPortRange({})).toBeUndefined();
    for (const bad of ['6000', '80-90', '7000-6000', '6000-70000', 'x-y']) {
      try {
        previewPortRange({ BERTH_PREVIEW_PORTS: bad });
        expect.unreachable(bad);
      } catch (err) {
        expect(isBerthError(err, 'CONFIG_INVALID'), bad).toBe(true);
      }
    }
  });
});

describe('berth team export (no engine)', () => {
  it('hands new volumes to the preview user first and fixes the hot-reload decision (no canary under Compose)', () => {
    const app = {
      team: 't',
      app: 'web',
      framework: 'vite-react',
      runtime: 'node' as const,
      workspace: '/tmp/w',
      root: '',
      devCommand: 'npx --no -- vite --host 0.0.0.0 --port 5123 --strictPort',
      devEnv: {},
      install: 'npm install',
      polling: 'auto' as const,
      pollingEnv: { CHOKIDAR_USEPOLLING: 'true' },
      port: 5123,
      network: 'n',
      labels: { 'berth.team': 't', 'berth.app': 'web' },
    };
    const spec = planPreview(app, previewImage(app), { namePrefix: 'berth' }).spec;
    const doc = parse(teamComposeFile('t', [spec])) as {
      services: Record<
        string,
        { depends_on?: unknown; command?: string[]; environment?: Record<string, string>; ports?: string[] }
      >;
    };
    expect(doc.services.web?.depends_on).toEqual({
      'web-volumes-owner': { condition: 'service_completed_successfully' },
    });
    expect(doc.services['web-volumes-owner']?.command).toEqual([
      'chown',
      '1000:1000',
      '/workspace/node_modules',
      '/home/berth/.npm',
    ]);
    expect(doc.services.web?.environment?.BERTH_HOT_RELOAD).toBe('inotify');
    expect(doc.services.web?.ports).toEqual(['127.0.0.1:5123:5123']);
  });
});
