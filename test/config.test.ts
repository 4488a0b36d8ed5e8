import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, projectNameFromFolder } from '../src/config/load-config.js';
import { parseSize } from '../src/config/sizes.js';
import { BerthError } from '../src/errors.js';
import { FIXTURES } from './helpers/test-hub.js';

const fixture = (name: string) => join(FIXTURES, 'config', name);

function configError(name: string): BerthError {
  try {
    loadConfig({ cwd: fixture(name) });
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error(`config ${name} loaded without an error`);
}

describe('berth.yaml', () => {
  it('resolves paths against the file and applies defaults', () => {
    const config = loadConfig({ cwd: fixture('valid') });
    expect(config.file).toBe(join(fixture('valid'), 'berth.yaml'));
    expect(config.hubId).toMatch(/^[0-9a-f]{8}$/);
    const [web, api] = config.projects;
    expect(web).toEqual({
      name: 'web',
      path: join(fixture('valid'), 'web'),
      image: 'berth-test/toolchain',
      commands: { test: 'npm test', build: 'npm run build' },
      env: { NODE_ENV: 'development', PORT: '3000', DEBUG: 'true' },
      resources: { cpus: 1.5, memoryBytes: 1024 ** 3, pids: 512 },
      network: 'isolated',
      workspace: 'bind',
      sync: { ignore: ['.git'], atticMaxBytes: 1024 ** 3 },
    });
    expect(api).toMatchObject({
      name: 'api',
      build: { context: join(fixture('valid'), 'api'), dockerfile: 'Dockerfile.dev', args: {} },
      resources: { cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 1024 },
      network: 'none',
    });
  });

  it('names file, line and problem for invalid YAML', () => {
    const err = configError('invalid-yaml');
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(
      /^berth\.yaml:4:\d+: invalid YAML: Nested mappings are not allowed in compact mappings$/,
    );
  });

  it('names file, field and problem for a schema error', () => {
    const err = configError('bad-field');
    expect(err.message).toBe('berth.yaml: projects.web.resources.memory: expected a size such as 512m or 1g');
    expect(err.details.field).toBe('projects.web.resources.memory');
  });

  it('refuses duplicate project names', () => {
    expect(configError('duplicate-names').message).toBe(
      'berth.yaml: projects.web: duplicate project name "web"',
    );
  });

  it('refuses unknown keys rather than ignoring them', () => {
    expect(configError('unknown-key').message).toMatch(
      /^berth\.yaml: projects\.web: Unrecognized key.*privileged/,
    );
  });

  it('refuses image and build together', () => {
    expect(configError('image-and-build').message).toBe(
      'berth.yaml: projects.web.image: set either "image" or "build", not both',
    );
  });

  it('says when an explicit file is missing', () => {
    expect(() => loadConfig({ cwd: fixture('valid'), file: 'nope.yaml' })).toThrow(
      'config file nope.yaml does not exist',
    );
  });

  it('treats a folder without berth.yaml as one project named after it', () => {
    const plain = loadConfig({ cwd: join(FIXTURES, 'folder-mode', 'My App') });
    expect(plain.projects).toHaveLength(1);
    expect(plain.projects[0]).toMatchObject({
      name: 'my-app',
      image: 'berth-test/toolchain',
      network: 'isolated',
    });
    expect(plain.file).toBeUndefined();
    const built = loadConfig({ cwd: join(FIXTURES, 'folder-mode', 'with-dockerfile') });
    expect(built.projects[0]).toMatchObject({ name: 'with-dockerfile', build: { dockerfile: 'Dockerfile' } });
    expect(built.projects[0]!.image).toBeUndefined();
  });

  it('reads workspace: sync and its sync settings, and names a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
    mkdirSync(join(dir, 'app'));
    const write = (text: string) => writeFileSync(join(dir, 'berth.yaml'), text);
    try {
      write(
        'version: 1\nprojects:\n  app:\n    path: app\n    image: berth-test/busybox\n    workspace: sync\n' +
          '    sync:\n      ignore: [node_modules/, "*.log"]\n      owner: "1000:1000"\n      attic_max: 64m\n',
      );
      expect(loadConfig({ cwd: dir }).projects[0]).toMatchObject({
        workspace: 'sync',
        sync: {
          ignore: ['.git', 'node_modules/', '*.log'],
          owner: { uid: 1000, gid: 1000 },
          atticMaxBytes: 64 * 1024 ** 2,
        },
      });
      write('version: 1\nprojects:\n  app:\n    path: app\n    image: x\n    workspace: rsync\n');
      expect(() => loadConfig({ cwd: dir })).toThrow('berth.yaml: projects.app.workspace: use bind or sync');
      write('version: 1\nprojects:\n  app:\n    path: app\n    image: x\n    sync:\n      owner: bob\n');
      expect(() => loadConfig({ cwd: dir })).toThrow(
        'berth.yaml: projects.app.sync.owner: use uid:gid in numbers, e.g. 1000:1000',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives valid project names from any folder name', () => {
    expect(projectNameFromFolder('/x/My Project (v2)')).toBe('my-project-v2-');
    expect(projectNameFromFolder('/x/__init')).toBe('init');
    expect(projectNameFromFolder('/x/ßß')).toBe('project');
  });

  it('parses Docker-style sizes', () => {
    expect(parseSize('512m')).toBe(512 * 1024 ** 2);
    expect(parseSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('64MiB')).toBe(64 * 1024 ** 2);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('lots')).toBeUndefined();
    expect(parseSize('-1g')).toBeUndefined();
  });
});
