import { tmpdir } from 'node:os';
import type Docker from 'dockerode';

export const TEST_DIR_PREFIX = 'berth-test-';

/** Removes containers, networks and built images that tests made (their paths live under tmp). */
export async function sweepTestResources(docker: Docker): Promise<void> {
  const prefix = `${tmpdir()}/${TEST_DIR_PREFIX}`;
  const containers = await docker.listContainers({ all: true, filters: { label: ['berth.hub'] } });
  const hubs = new Set<string>();
  for (const c of containers) {
    if (!(c.Labels['berth.path'] ?? '').startsWith(prefix)) continue;
    hubs.add(c.Labels['berth.hub'] ?? '');
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  // the members a test hub made without a path label (a sync side-car), and its volumes
  for (const c of containers) {
    if (!hubs.has(c.Labels['berth.hub'] ?? '')) continue;
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  const { Volumes: volumes } = await docker.listVolumes({ filters: { label: ['berth.hub'] } });
  for (const v of volumes ?? []) {
    if (hubs.has(v.Labels?.['berth.hub'] ?? ''))
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
  }
  const networks = await docker.listNetworks({ filters: { label: ['berth.hub'] } });
  for (const n of networks) {
    if (hubs.has(n.Labels?.['berth.hub'] ?? ''))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }
}
