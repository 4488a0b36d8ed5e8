import type { HubConfig, ProjectConfig } from '../config/types.js';
import type { ContainerInfo, ContainerRuntime } from '../runtime/container-runtime.js';
import { hubContainerLabels, isContainerRole, LABEL, type ContainerRole } from '../runtime/labels.js';
import type { MemberStatus, ProjectStatus } from './projects.js';
import type { UnitRole } from './unit-role.js';

/**
 * Each project with every member of its unit: the roles that apply to it (missing when they
 * have no container) and any other member that still has one. The project's own fields are its
 * `project` member's, as they were before units had members.
 */
export async function projectStatuses(
  runtime: ContainerRuntime,
  config: HubConfig,
  roles: UnitRole[],
  projects: ProjectConfig[],
  now: () => Date = () => new Date(),
): Promise<ProjectStatus[]> {
  const containers = (await runtime.containers.list(hubContainerLabels(config.hubId))).filter((c) =>
    isContainerRole(c.labels[LABEL.role]),
  );
  return Promise.all(
    projects.map(async (project) => {
      const mine = containers.filter((c) => c.labels[LABEL.project] === project.name);
      const wanted = roles.filter((r) => r.appliesTo(project)).map((r) => r.role);
      const others = mine
        .map((c) => c.labels[LABEL.role] as ContainerRole)
        .filter((r) => !wanted.includes(r));
      const found = await Promise.all(
        [...new Set([...wanted, ...others])].map(async (role) => {
          const listed = mine.find((c) => c.labels[LABEL.role] === role);
          const info = listed ? await runtime.containers.inspect(listed.id) : undefined;
          return { role, info };
        }),
      );
      const members = found.map(({ role, info }) => memberStatus(role, info, now));
      const main = found.find((m) => m.role === 'project')?.info;
      const self = members.find((m) => m.role === 'project') ?? memberStatus('project', undefined, now);
      if (!main) {
        return {
          name: project.name,
          state: 'missing',
          health: 'missing',
          containerId: null,
          image: project.image ?? `(build ${project.build?.dockerfile ?? 'Dockerfile'})`,
          uptimeSeconds: null,
          path: project.path,
          engineState: null,
          members,
        } satisfies ProjectStatus;
      }
      return {
        name: project.name,
        state: self.state,
        health: self.health,
        containerId: self.containerId,
        image: main.image,
        uptimeSeconds: self.uptimeSeconds,
        path: project.path,
        engineState: main.state,
        members,
      } satisfies ProjectStatus;
    }),
  );
}

function memberStatus(role: ContainerRole, info: ContainerInfo | undefined, now: () => Date): MemberStatus {
  if (!info)
    return { role, state: 'missing', health: 'missing', containerId: null, uptimeSeconds: null, ports: [] };
  const running = info.state === 'running';
  return {
    role,
    state: running ? 'running' : 'stopped',
    health: info.health,
    containerId: info.id.slice(0, 12),
    uptimeSeconds:
      running && info.startedAt
        ? Math.max(0, Math.round((now().getTime() - info.startedAt.getTime()) / 1000))
        : null,
    ports: info.ports.map((p) => ({ containerPort: p.containerPort, host: p.hostIp, hostPort: p.hostPort })),
  };
}
