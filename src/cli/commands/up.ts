import type { Command } from 'commander';
import { printJson, printLine, progress, renderTable } from '../output.js';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('create and start one container per project; unchanged ones are left alone')
    .argument('[projects...]', 'projects to bring up (default: all)')
    .option('--json', 'print the results as JSON')
    .action(async (projects: string[], opts: { json?: boolean }, cmd: Command) => {
      const { openContext } = await import('../context.js');
      await using ctx = openContext(cmd.optsWithGlobals());
      const results = await ctx.hub.up(projects, (project, line) => progress(`[${project}] ${line}`));
      if (opts.json) return printJson({ projects: results });
      printLine(
        renderTable(
          ['PROJECT', 'ACTION', 'CONTAINER', 'IMAGE'],
          results.map((r) => [r.project, r.action, r.containerId.slice(0, 12), r.image]),
        ),
      );
    });
}
