import type { Command } from 'commander';
import { printJson, printLine } from '../output.js';
import { statusTable } from '../status-table.js';

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
