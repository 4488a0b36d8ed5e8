import type { HubConfig } from '../config/types.js';
import type { ContainerInfo, ContainerRuntime } from '../runtime/container-runtime.js';
import { hubLabels, LABEL } from '../runtime/labels.js';
import type { ProjectConfig } from '../config/types.js';

export type ProjectState = 'running' | 'stopped' | 'missing';

export interface ProjectStatus {
  name: string;
  state: ProjectState;
  /** healthy | unhealthy | starting | none (no health check) | missing */
  health: string;
  containerId: string | null;
  image: string;
  uptimeSeconds: number | null;
  path: string;
  /** The engine's own state word (running, exited, created, ...), or null when missing. */
  engineState: string | null;
}

export async function projectStatuses(
  runtime: ContainerRuntime,
  config: HubConfig,
  projects: ProjectConfig[],
  now: () => Date = () => new Date(),
): Promise<ProjectStatus[]> {
  const containers = await runtime.listContainers(hubLabels(config.hubId, 'project'));
  return Promise.all(
    projects.map(async (project) => {
      const listed = containers.find((c) => c.labels[LABEL.project] === project.name);
      const info: ContainerInfo | undefined = listed ? await runtime.inspectContainer(listed.id) : undefined;
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
