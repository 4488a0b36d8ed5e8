import type { Command } from 'commander';
import { printJson, printLine } from '../output.js';

export function registerDownCommand(program: Command): void {
  program
    .command('down')
    .description(
      'remove project containers (every role) and networks (project files are never touched; named volumes only with --volumes)',
    )
    .argument('[projects...]', 'projects to remove (default: all, including ones no longer configured)')
    .option('--volumes', "also remove the projects' named volumes")
    .option('--json', 'print the results as JSON')
    .action(async (projects: string[], opts: { json?: boolean; volumes?: boolean }, cmd: Command) => {
      const { openContext } = await import('../context.js');
      await using ctx = openContext(cmd.optsWithGlobals());
      const removed = await ctx.hub.down(projects, { volumes: opts.volumes === true });
      if (opts.json) return printJson({ removed });
      if (removed.length === 0) return printLine('nothing to remove');
      for (const r of removed) {
        const what = r.role === 'project' ? r.project : `${r.project} ${r.role}`;
        printLine(`removed ${what} (${r.containerId})`);
      }
    });
}
