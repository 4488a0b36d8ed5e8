import type { ProjectStatus } from '../hub/projects.js';
import { formatUptime, renderTable } from './output.js';

/**
 * One row per project; when a project's unit has more members than its project container, one
 * row per member, with its role and published ports.
 */
export function statusTable(statuses: ProjectStatus[]): string {
  if (statuses.every((s) => s.members.length <= 1)) {
    return renderTable(
      ['NAME', 'STATE', 'HEALTH', 'CONTAINER', 'IMAGE', 'UPTIME', 'PATH'],
      statuses.map((s) => [
        s.name,
        s.state,
        s.health,
        s.containerId,
        s.image,
        formatUptime(s.uptimeSeconds),
        s.path,
      ]),
    );
  }
  return renderTable(
    ['NAME', 'ROLE', 'STATE', 'HEALTH', 'CONTAINER', 'IMAGE', 'UPTIME', 'PORTS', 'PATH'],
    statuses.flatMap((s) =>
      s.members.map((m) => [
        s.name,
        m.role,
        m.state,
        m.health,
        m.containerId,
        m.role === 'project' ? s.image : null,
        formatUptime(m.uptimeSeconds),
        m.ports.map((p) => `${p.host}:${p.hostPort}->${p.containerPort}`).join(',') || null,
        m.role === 'project' ? s.path : null,
      ]),
    ),
  );
}
