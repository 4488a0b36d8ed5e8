import { describe, expect, it } from 'vitest';
import { cliFixture } from './helpers/cli-fixture.js';

describe('bad input gets a clear error and changes nothing', () => {
  it('an unknown project lists the known ones', async () => {
    await using f = cliFixture('pass-fail');
    for (const args of [
      ['up', 'nope'],
      ['exec', 'nope', '--', 'true'],
      ['status', 'nope'],
      ['down', 'good', 'nope'],
    ]) {
      const r = await f.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toBe('berth: unknown project "nope"; known projects: good, bad, docs\n');
    }
    expect(await f.containers()).toEqual([]);
  });

  it('a project path that is missing, or not a folder', async () => {
    await using missing = cliFixture('config/missing-folder');
    const r1 = await missing.run(['up']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(
      /^berth: project "app": path \S+\/does-not-exist does not exist; create it or fix "path"/,
    );
    expect(await missing.containers()).toEqual([]);

    await using file = cliFixture('config/not-a-folder');
    const r2 = await file.run(['up']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/^berth: project "app": path \S+\/app\.txt is not a folder/);
    expect(await file.containers()).toEqual([]);
  });

  it('an image that is not present and cannot be pulled names the image and the reason', async () => {
    await using f = cliFixture('config/missing-image');
    const r = await f.run(['up', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^berth: project "app": image berth-test\/does-not-exist:1\.0 is not present locally and could not be pulled: .+/m,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'IMAGE_UNAVAILABLE' } });
    expect(await f.containers()).toEqual([]);
    expect(await f.networks()).toEqual([]);
  });

  it('an engine that is not reachable says how to start one', async () => {
    await using f = cliFixture('pass-fail');
    const r = await f.run(['up'], { DOCKER_HOST: 'unix:///tmp/berth-no-engine-here.sock' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('berth: No container engine is reachable.');
    expect(r.stderr).toContain('DOCKER_HOST=unix:///tmp/berth-no-engine-here.sock');
    expect(r.stderr).toContain('scripts/bootstrap-engine.sh');
    expect(await f.containers()).toEqual([]);
  });

  it('invalid YAML, schema errors and duplicate names name the file and field', async () => {
    const cases: [string, RegExp][] = [
      ['config/invalid-yaml', /^berth: berth\.yaml:4:\d+: invalid YAML: /],
      ['config/bad-field', /^berth: berth\.yaml: projects\.web\.resources\.memory: expected a size/],
      ['config/duplicate-names', /^berth: berth\.yaml: projects\.web: duplicate project name "web"/],
    ];
    for (const [name, pattern] of cases) {
      await using f = cliFixture(name);
      const r = await f.run(['up']);
      expect(r.code, name).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stdout).toBe('');
    }
  });

  it('a command with an empty argv', async () => {
    await using f = cliFixture('pass-fail');
    expect((await f.run(['up', 'good'])).code).toBe(0);
    const r = await f.run(['exec', 'good', '--']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('berth: the command is empty; give a program to run, e.g. `-- npm test`\n');
    const history = JSON.parse((await f.run(['history', '--json'])).stdout) as { entries: unknown[] };
    expect(history.entries).toEqual([]);
  });

  it('bad option values are refused before anything runs', async () => {
    await using f = cliFixture('pass-fail');
    const r = await f.run(['exec', 'good', '--timeout', 'soon', '--', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "option '--timeout <ms>' argument 'soon' is invalid. expected a positive whole number",
    );
    expect(await f.containers()).toEqual([]);
  });
});
