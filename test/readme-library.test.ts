import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runInProject } from '../examples/library/run-in-project.js';
import { openBerth } from '../src/app/open-berth.js';
import { silentLogger } from '../src/logger.js';
import { busybox, createTestHub } from './helpers/test-hub.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXAMPLE = 'examples/library/run-in-project.ts';

describe("the README's library example", () => {
  it('is the example file, word for word', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = readFileSync(join(ROOT, EXAMPLE), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('runs: brings the project up and runs the command in its container', async () => {
    await using t = createTestHub({ projects: { web: busybox('./web') } });
    const home = process.env.BERTH_HOME;
    process.env.BERTH_HOME = t.home;
    try {
      const r = await runInProject(t.dir, 'web', ['/bin/sh', '-c', 'echo "$BERTH_PROJECT in $(pwd)"']);
      expect(r).toEqual({ exitCode: 0, stdout: 'web in /workspace\n' });
    } finally {
      if (home === undefined) delete process.env.BERTH_HOME;
      else process.env.BERTH_HOME = home;
    }
    // it used this hub's home and config: the same project is up for the hub itself
    await using berth = openBerth({ config: t.config, home: t.home, logger: silentLogger() });
    expect((await berth.hub.status(['web']))[0]?.state).toBe('running');
  });
});
