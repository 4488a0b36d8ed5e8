import type { Command } from 'commander';
import { formatUptime, printJson, printLine, renderTable } from '../output.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show each project: state, health, container, image, uptime, path')
    .argument('[projects...]', 'projects to show (default: all)')
    .option('--json', 'print {"projects":[...]} as JSON')
    .action(async (projects: string[], opts: { json?: boolean }, cmd: Command) => {
      const { openContext } = await import('../context.js');
      await using ctx = openContext(cmd.optsWithGlobals());
      const statuses = await ctx.hub.status(projects);
      if (opts.json) return printJson({ projects: statuses });
      printLine(
        renderTable(
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
        ),
      );
    });
}
