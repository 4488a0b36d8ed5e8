import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { isPortExcluded } from '../src/preview/blocked-ports.js';
import { PREVIEW_PORT_RANGE } from '../src/preview/port-pool.js';
import { Previews } from '../src/preview/previews.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { Store } from '../src/store/store.js';
import { teamsHubId } from '../src/team/team-labels.js';
import { TeamService } from '../src/team/team-service.js';
import { TEST_DIR_PREFIX } from './helpers/sweep.js';
import { upstreamRepo } from './helpers/team-repo.js';

const APPS = 50;
const home = mkdtempSync(join(tmpdir(), `${TEST_DIR_PREFIX}team-50-`));
const store = Store.open(home);
const runtime = new DockerRuntime(silentLogger(), {});
const teams = new TeamService({
  runtime,
  store,
  home,
  logger: silentLogger(),
  previews: new Previews(runtime, { namePrefix: `berth-test-${teamsHubId(home)}` }),
  startConcurrency: APPS,
});

afterAll(async () => {
  await teams.cleanup('many', { purge: true, yes: true }).catch(() => undefined);
  runtime.close();
  store.close();
});

describe('50 previews started at once', () => {
  it('each gets its own port from the pool, none a browser-blocked one; cleanup leaves nothing labelled', async () => {
    const repo = upstreamRepo('static');
    const first = await teams.start('many', { url: repo.url });
    expect(first.previews.map((p) => p.state)).toEqual(['ready']);
    // 49 more apps in the team's config, as a user would add them; the file wins
    const file = first.configFile;
    const text = readFileSync(file, 'utf8');
    const app = text.slice(text.indexOf('  web:'));
    const more = Array.from({ length: APPS - 1 }, (_, i) => app.replace('  web:', `  site-${i + 2}:`));
    writeFileSync(file, `${text.trimEnd()}\n${more.join('\n')}\n`);

    const report = await teams.start('many');
    expect(report.failed).toEqual([]);
    expect(report.previews).toHaveLength(APPS);
    expect(report.previews.every((p) => p.state === 'ready')).toBe(true);
    const ports = report.previews.map((p) => p.port);
    expect(new Set(ports).size).toBe(APPS);
    for (const port of ports) {
      expect(isPortExcluded(port), `port ${port}`).toBe(false);
      expect(port).toBeGreaterThanOrEqual(PREVIEW_PORT_RANGE[0]);
      expect(port).toBeLessThanOrEqual(PREVIEW_PORT_RANGE[1]);
    }
    // every preview answers on its own port
    const answers = await Promise.all(
      ports.map(async (port) => (await fetch(`http://127.0.0.1:${port}/`)).status),
    );
    expect(answers.every((s) => s === 200)).toBe(true);

    await teams.cleanup('many', {});
    const docker = new Docker();
    const filters = { label: [`berth.team=many`, `berth.hub=${teamsHubId(home)}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
    expect(
      store
        .previewPorts()
        .list()
        .filter((p) => p.team === 'many'),
    ).toEqual([]);
  }, 600_000);
});
