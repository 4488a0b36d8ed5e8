import type { Command } from 'commander';
import type { ProjectStatus } from '../../hub/projects.js';
import { formatUptime, printJson, printLine, renderTable } from '../output.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show each project: state, health, container, image, uptime, path (and each member by role)')
    .argument('[projects...]', 'projects to show (default: all)')
    .option('--json', 'print {"projects":[...]} as JSON')
    .action(async (projects: string[], opts: { json?: boolean }, cmd: Command) => {
      const { openContext } = await import('../context.js');
      await using ctx = openContext(cmd.optsWithGlobals());
      const statuses = await ctx.hub.status(projects);
      if (opts.json) return printJson({ projects: statuses });
      printLine(statusTable(statuses));
    });
}

/**
 * One row per project; when a project's unit has more members than its project container, one
 * row per member, with its role and published ports.
 */
function statusTable(statuses: ProjectStatus[]): string {
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
