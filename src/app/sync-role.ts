import { createHash } from 'node:crypto';
import { BerthError } from '../errors.js';
import { projectPlacement, workspaceVolume } from '../hub/container-spec.js';
import { memberName, type UnitRole } from '../hub/unit-role.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { hubLabels } from '../runtime/labels.js';
import { ensureAgentImage } from '../sync/agent-image.js';
import { sidecarSpec, sidecarReady } from '../sync/sidecar.js';
import type { SyncService } from '../sync/sync-service.js';
import { describeCycle } from '../sync/sync-report.js';

/** How long up waits for a new side-car to run (it only starts node). */
const SIDECAR_READY_MS = 30_000;

/**
 * The `sync` member of a project with `workspace: sync`: the side-car that shares the project's
 * workspace volume and runs berth's agent (src/sync/agent), built from berth's own image. Once
 * the unit is up, the first sync runs (with progress), so `berth up` returns with the volume
 * holding the folder's files (and the folder any the volume had: nothing is deleted on a first
 * sync; differences become conflicts).
 */
export function syncRole(runtime: ContainerRuntime, sync: () => Promise<SyncService>): UnitRole {
  const images = new Map<string, string>();
  return {
    role: 'sync',
    appliesTo: (project) => project.workspace === 'sync',
    async prepare({ hubId, project }, onProgress) {
      // the build's own lines are noise here: one line says it is happening
      let said = false;
      const image = await ensureAgentImage(runtime, {
        labels: hubLabels(hubId, 'image', project.name),
        onProgress: () => {
          if (!said) onProgress("building berth's sync agent image (once per version of berth and node)");
          said = true;
        },
      });
      if (image.built) onProgress(`built the sync agent's image ${image.tag}`);
      images.set(project.name, image.tag);
    },
    plan({ hubId, project }) {
      const image = images.get(project.name);
      if (!image)
        throw new BerthError('NOT_READY', `the sync agent's image for ${project.name} was not prepared`);
      const placement = projectPlacement(hubId, project);
      const spec = sidecarSpec({
        name: memberName(hubId, project.name, 'sync'),
        image,
        volume: workspaceVolume(hubId, project.name, placement.containerRoot),
        placement,
        labels: {},
        keepAlive: true,
      });
      const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
      return {
        spec,
        hash,
        ready: { strategy: sidecarReady(), timeoutMs: SIDECAR_READY_MS },
        notReady: (why, state) => `the sync side-car did not start (state: ${state}${why ? `; ${why}` : ''})`,
      };
    },
    async afterUp({ project }, _id, onProgress) {
      const service = await sync();
      onProgress('first sync of the folder and the volume');
      const report = await service.barrier(project.name, { onProgress });
      onProgress(describeCycle(project.name, report));
      if (report.halt) {
        throw new BerthError(
          'SYNC_HALTED',
          `the sync of ${project.name} halted: ${report.halt.detail}; see \`berth sync status ${project.name}\``,
          { project: project.name },
        );
      }
    },
  };
}
