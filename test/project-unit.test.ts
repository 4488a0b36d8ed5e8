import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubContainerLabels, hubLabels } from '../src/runtime/labels.js';
import { staticPreviewRole } from './helpers/static-preview-role.js';
import { busybox, createTestHub } from './helpers/test-hub.js';

function fetchText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/index.html' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).once('error', reject);
  });
}

describe('a project is a unit of containers by role', () => {
  it('a role from outside hub/ gets its member made, waited for, shown, kept and removed', async () => {
    await using t = createTestHub({
      projects: { web: busybox('./web'), api: busybox('./api') },
      roles: [staticPreviewRole({ projects: ['web'] })],
    });
    writeFileSync(join(t.dir, 'web', 'index.html'), 'hello from web\n');
    const [web, api] = await t.hub.up();
    expect(web!.members.map((m) => [m.role, m.action])).toEqual([
      ['project', 'created'],
      ['preview', 'created'],
    ]);
    expect(api!.members.map((m) => m.role)).toEqual(['project']);
    // the project container keeps its name; the preview's adds its role
    const all = await t.runtime.containers.list(hubContainerLabels(t.config.hubId, 'web'));
    expect(all.map((c) => [c.name, c.labels['berth.role']]).sort()).toEqual([
      [`berth-web-${t.config.hubId}`, 'project'],
      [`berth-web-${t.config.hubId}-preview`, 'preview'],
    ]);
    // commands still run in the project container
    expect((await t.hub.exec('web', ['hostname'])).stdout).toBe('web\n');

    // status: every member with its role, state and health; the project's own fields as before
    let status = await t.hub.status(['web']);
    for (let i = 0; i < 50 && status[0]!.members[1]?.health !== 'healthy'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = await t.hub.status(['web']);
    }
    const [project, preview] = status[0]!.members;
    expect(status[0]).toMatchObject({
      name: 'web',
      state: 'running',
      containerId: web!.containerId.slice(0, 12),
    });
    expect(project).toMatchObject({ role: 'project', state: 'running', ports: [] });
    expect(preview).toMatchObject({ role: 'preview', state: 'running', health: 'healthy' });
    expect(preview!.ports).toEqual([
      { containerPort: 8080, host: '127.0.0.1', hostPort: expect.any(Number) },
    ]);
    expect(await fetchText(preview!.ports[0]!.hostPort)).toBe('hello from web\n');
    expect((await t.hub.status(['api']))[0]!.members.map((m) => m.role)).toEqual(['project']);
    expect(t.store.listMembers(t.config.hubId, 'web').map((m) => m.role)).toEqual(['preview', 'project']);

    // up again changes nothing
    const [again] = await t.hub.up(['web']);
    expect(again!.members.map((m) => m.action)).toEqual(['unchanged', 'unchanged']);

    // down removes every role's containers, and keeps named volumes unless asked
    const volumes = hubLabels(t.config.hubId, 'volume', 'web');
    expect((await t.runtime.volumes.list(volumes)).map((v) => v.name)).toEqual([
      `berth-web-${t.config.hubId}-preview-cache`,
    ]);
    const removed = await t.hub.down(['web']);
    expect(removed.map((r) => r.role)).toEqual(['project', 'preview']);
    expect(await t.runtime.containers.list(hubContainerLabels(t.config.hubId, 'web'))).toEqual([]);
    expect(t.store.listMembers(t.config.hubId, 'web')).toEqual([]);
    expect(await t.runtime.volumes.list(volumes)).toHaveLength(1);
    await t.hub.down(['web'], { volumes: true });
    expect(await t.runtime.volumes.list(volumes)).toEqual([]);
  });

  it('a member that never gets ready fails the up in its own words, and the unit is removed again', async () => {
    await using t = createTestHub({
      projects: { web: busybox('./web') },
      roles: [staticPreviewRole({ projects: ['web'], script: 'exec sleep 600', timeoutMs: 1500 })],
    });
    await expect(t.hub.up()).rejects.toThrow(
      /project "web" could not be brought up: the preview of project web is not ready: waited \d+\.\d s for port 8080 to accept connections/,
    );
    expect(await t.runtime.containers.list(hubContainerLabels(t.config.hubId))).toEqual([]);
    await t.hub.down([], { volumes: true });
  });
});
