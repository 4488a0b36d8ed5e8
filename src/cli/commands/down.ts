import type { Command } from 'commander';
import { printJson, printLine } from '../output.js';

export function registerDownCommand(program: Command): void {
  program
    .command('down')
    .description('remove project containers and networks (project files are never touched)')
    .argument('[projects...]', 'projects to remove (default: all, including ones no longer configured)')
    .option('--json', 'print the results as JSON')
    .action(async (projects: string[], opts: { json?: boolean }, cmd: Command) => {
      const { openContext } = await import('../context.js');
      await using ctx = openContext(cmd.optsWithGlobals());
      const removed = await ctx.hub.down(projects);
      if (opts.json) return printJson({ removed });
      if (removed.length === 0) return printLine('nothing to remove');
      for (const r of removed) printLine(`removed ${r.project} (${r.containerId})`);
    });
}
