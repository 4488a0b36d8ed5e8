import { BerthError } from '../errors.js';
import type { ContainerRuntime, VolumeMount } from '../runtime/container-runtime.js';
import { hardenedSpec } from '../runtime/hardened-spec.js';
import { LABEL } from '../runtime/labels.js';
import { engineName } from './preview-labels.js';

/**
 * Makes new preview volumes writable by the dev server's uid. A volume the engine creates is
 * owned by root; Docker copies an image folder's owner into a new volume only when the mount
 * target exists in the image, which node_modules under the bind-mounted workspace never does
 * (and the images have no /home/berth/.npm either). So each volume that does not exist yet is
 * created by a one-shot container of berth's own: root, every capability dropped but CHOWN, no
 * privilege gain, no network, nothing mounted but the new volumes, and one fixed command that
 * hands their top folders (nothing inside: they are empty) to uid:gid. Volumes that exist are
 * left alone; the launcher says clearly when one is not writable.
 */
export async function prepareVolumes(
  runtime: ContainerRuntime,
  volumes: readonly VolumeMount[],
  options: { image: string; uid: number; namePrefix: string; labels: Record<string, string> },
): Promise<string[]> {
  if (volumes.length === 0) return [];
  const fresh: VolumeMount[] = [];
  for (const v of volumes) {
    const existing = await runtime.volumes.list(v.labels);
    if (!existing.some((e) => e.name === v.name)) fresh.push(v);
  }
  if (fresh.length === 0) return [];
  const targets = fresh.map((_, i) => `/berth-volume-${i}`);
  const spec = hardenedSpec({
    name: engineName(options.namePrefix, 'preview-chown', ...fresh.map((v) => v.name), String(Date.now())),
    image: options.image,
    labels: { ...options.labels, [LABEL.role]: 'preview', 'berth.preview-chown': 'true' },
    limits: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024, pids: 16 },
    user: '0:0',
    capAdd: ['CHOWN'],
    volumes: fresh.map((v, i) => ({ ...v, target: targets[i]! })),
    network: { mode: 'none' },
    cmd: ['chown', `${options.uid}:${options.uid}`, ...targets],
  });
  const id = await runtime.containers.create(spec);
  try {
    await runtime.containers.start(id);
    await runtime.containers.wait(id);
    let output = '';
    await runtime.containers.logs(id, {
      follow: false,
      onStdout: (c) => (output += c.toString()),
      onStderr: (c) => (output += c.toString()),
    });
    if (output.trim() !== '') {
      throw new BerthError(
        'UP_FAILED',
        `could not hand the new preview volumes ${fresh.map((v) => v.name).join(', ')} to uid ${options.uid}: ${output.trim()}`,
        { volumes: fresh.map((v) => v.name) },
      );
    }
  } finally {
    await runtime.containers.remove(id);
  }
  return fresh.map((v) => v.name);
}
