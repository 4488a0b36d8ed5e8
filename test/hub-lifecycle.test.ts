import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubLabels } from '../src/runtime/labels.js';
import { busybox, createTestHub } from './helpers/test-hub.js';

describe('hub lifecycle (up / status / down)', () => {
  it('up is idempotent, a config change recreates only that project, down leaves nothing', async () => {
    await using t = createTestHub({
      projects: { alpha: busybox('./alpha'), beta: busybox('./beta', { env: { MODE: 'one' } }) },
    });
    writeFileSync(join(t.dir, 'alpha', 'keep.txt'), 'project data');

    const first = await t.hub.up();
    expect(first.map((r) => [r.project, r.action])).toEqual([
      ['alpha', 'created'],
      ['beta', 'created'],
    ]);
    const second = await t.hub.up();
    expect(second.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    expect(second.map((r) => r.containerId)).toEqual(first.map((r) => r.containerId));

    const hub = t.reconfigure({
      alpha: busybox('./alpha'),
      beta: busybox('./beta', { env: { MODE: 'two' } }),
    });
    const third = await hub.up();
    expect(third.find((r) => r.project === 'alpha')).toMatchObject({
      action: 'unchanged',
      containerId: first[0]!.containerId,
    });
    const beta = third.find((r) => r.project === 'beta')!;
    expect(beta.action).toBe('recreated');
    expect(beta.containerId).not.toBe(first[1]!.containerId);
    expect((await hub.exec('beta', ['/bin/sh', '-c', 'echo $MODE'])).stdout).toBe('two\n');
    expect(await t.runtime.containers.inspect(first[1]!.containerId)).toBeUndefined();

    const removed = await hub.down();
    expect(removed.map((r) => r.project).sort()).toEqual(['alpha', 'beta']);
    expect(await t.runtime.containers.list(hubLabels(t.config.hubId, 'project'))).toEqual([]);
    expect(await t.runtime.networks.list(hubLabels(t.config.hubId, 'network'))).toEqual([]);
    expect(readFileSync(join(t.dir, 'alpha', 'keep.txt'), 'utf8')).toBe('project data');
    expect((await hub.down()).length).toBe(0);
  });

  it('status reports running, stopped and missing projects', async () => {
    await using t = createTestHub({ projects: { one: busybox('./one'), two: busybox('./two') } });
    expect((await t.hub.status()).map((s) => s.state)).toEqual(['missing', 'missing']);
    const [one] = await t.hub.up(['one']);
    const status = await t.hub.status();
    expect(status[0]).toMatchObject({
      name: 'one',
      state: 'running',
      health: 'none',
      containerId: one!.containerId.slice(0, 12),
      image: 'berth-test/busybox',
      path: join(t.dir, 'one'),
    });
    expect(status[0]!.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(status[1]).toMatchObject({ name: 'two', state: 'missing', containerId: null });

    await t.runtime.containers.stop(one!.containerId, 1);
    expect((await t.hub.status(['one']))[0]!.state).toBe('stopped');
    // up starts a stopped, unchanged container instead of recreating it
    const [again] = await t.hub.up(['one']);
    expect(again).toMatchObject({ action: 'started', containerId: one!.containerId });
  });

  it('applies the hardening and limits to every project container', async () => {
    await using t = createTestHub({
      projects: { hard: busybox('./hard', { resources: { cpus: 0.5, memory: '96m', pids: 100 } }) },
    });
    await t.hub.up();
    const limits = await t.hub.exec('hard', [
      '/bin/sh',
      '-c',
      'grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null',
    ]);
    expect(limits.stdout).toMatch(/CapEff:\s+0000000000000000/);
    expect(limits.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(limits.stdout).toContain('\n100\n');
    expect(limits.stdout).toContain(String(96 * 1024 * 1024));
  });

  it('a half-failed up removes what it created and keeps what was there', async () => {
    await using t = createTestHub({ projects: { good: busybox('./good') } });
    const [good] = await t.hub.up();
    const hub = t.reconfigure({
      good: busybox('./good'),
      fresh: busybox('./fresh'),
      broken: { path: './broken', image: 'berth-test/noshell' },
    });
    await expect(hub.up()).rejects.toThrow(
      /project "broken" could not be brought up: .*berth needs an image with \/bin\/sh/,
    );
    const left = await t.runtime.containers.list(hubLabels(t.config.hubId, 'project'));
    expect(left.map((c) => c.id)).toEqual([good!.containerId]);
    const networks = await t.runtime.networks.list(hubLabels(t.config.hubId, 'network'));
    expect(networks.map((n) => n.labels['berth.project'])).toEqual(['good']);
    expect(existsSync(join(t.dir, 'broken'))).toBe(true);
  });
});

describe('two hub processes over one config', () => {
  it('an exec finds the container another process recreated', async () => {
    await using t = createTestHub({ projects: { app: busybox('./app') }, runner: false });
    const first = t.hub;
    await first.up();
    expect((await first.exec('app', ['echo', 'one'])).stdout).toBe('one\n');
    // a second process changes the config and recreates the container
    const second = t.reconfigure({ app: busybox('./app', { env: { V: '2' } }) });
    expect((await second.up())[0]!.action).toBe('recreated');
    const r = await first.exec('app', ['/bin/sh', '-c', 'echo $V']);
    expect(r).toMatchObject({ exitCode: 0, stdout: '2\n' });
  });
});
