import type { Command } from 'commander';
import { formatDuration, printJson, printLine, renderTable } from '../output.js';
import { parsePositiveInt } from './exec.js';

export function registerHistoryCommand(program: Command): void {
  program
    .command('history')
    .description('show recent commands run in project containers (the audit log)')
    .argument('[project]', 'only this project')
    .option('--limit <n>', 'how many entries', parsePositiveInt, 20)
    .option('--json', 'print the entries as JSON')
    .action(async (project: string | undefined, opts: { limit: number; json?: boolean }, cmd: Command) => {
      const { openContext } = await import('../context.js');
      await using ctx = openContext(cmd.optsWithGlobals());
      if (project !== undefined) ctx.hub.project(project);
      const entries = ctx.store.listExecs({
        hubId: ctx.config.hubId,
        limit: opts.limit,
        ...(project !== undefined ? { project } : {}),
      });
      if (opts.json) return printJson({ entries });
      printLine(
        renderTable(
          ['STARTED', 'PROJECT', 'SOURCE', 'EXIT', 'DURATION', 'COMMAND'],
          entries.map((e) => [
            e.startedAt,
            e.project,
            e.source,
            e.timedOut ? `${e.exitCode} (timeout)` : e.exitCode,
            formatDuration(e.durationMs),
            e.command.join(' '),
          ]),
        ),
      );
    });
}
