import type { Command } from 'commander';
import { parsePositiveInt } from './exec.js';

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("print a project container's logs")
    .argument('<project>', 'project name')
    .option('--follow', 'keep printing new output until interrupted')
    .option('--tail <lines>', 'only the last N lines', parsePositiveInt)
    .action(async (project: string, opts: { follow?: boolean; tail?: number }, cmd: Command) => {
      const { openContext } = await import('../context.js');
      await using ctx = openContext(cmd.optsWithGlobals());
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      await ctx.hub.logs(project, {
        follow: opts.follow ?? false,
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        onStdout: (c) => process.stdout.write(c),
        onStderr: (c) => process.stderr.write(c),
        signal: stop.signal,
      });
    });
}
