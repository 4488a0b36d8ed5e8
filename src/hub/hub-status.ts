import type { HubConfig } from '../config/types.js';
import type { ContainerInfo, ContainerRuntime } from '../runtime/container-runtime.js';
import { hubLabels, LABEL } from '../runtime/labels.js';
import type { ProjectConfig } from '../config/types.js';
import type { ProjectStatus } from './projects.js';

export async function projectStatuses(
  runtime: ContainerRuntime,
  config: HubConfig,
  projects: ProjectConfig[],
  now: () => Date = () => new Date(),
): Promise<ProjectStatus[]> {
  const containers = await runtime.containers.list(hubLabels(config.hubId, 'project'));
  return Promise.all(
    projects.map(async (project) => {
      const listed = containers.find((c) => c.labels[LABEL.project] === project.name);
      const info: ContainerInfo | undefined = listed
        ? await runtime.containers.inspect(listed.id)
        : undefined;
      if (!info) {
        return {
          name: project.name,
          state: 'missing',
          health: 'missing',
          containerId: null,
          image: project.image ?? `(build ${project.build?.dockerfile ?? 'Dockerfile'})`,
          uptimeSeconds: null,
          path: project.path,
          engineState: null,
        } satisfies ProjectStatus;
      }
      const running = info.state === 'running';
      return {
        name: project.name,
        state: running ? 'running' : 'stopped',
        health: info.health,
        containerId: info.id.slice(0, 12),
        image: info.image,
        uptimeSeconds:
          running && info.startedAt
            ? Math.max(0, Math.round((now().getTime() - info.startedAt.getTime()) / 1000))
            : null,
        path: project.path,
        engineState: info.state,
      } satisfies ProjectStatus;
    }),
  );
}
