import { InvalidArgumentError, type Command } from 'commander';
import { stopReport } from '../../exec/stop-report.js';
import { printJson, progress } from '../output.js';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .description("run a command in a project's container; streams output and exits with its exit code")
    .argument('<project>', 'project name')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('--timeout <ms>', 'kill the whole process tree after this many milliseconds', parsePositiveInt)
    .option('--json', 'print one JSON result instead of streaming')
    .action(
      async (project: string, argv: string[], opts: { timeout?: number; json?: boolean }, cmd: Command) => {
        const { openContext } = await import('../context.js');
        await using ctx = openContext(cmd.optsWithGlobals());
        const interrupt = new AbortController();
        const onSigint = () => interrupt.abort();
        process.once('SIGINT', onSigint);
        process.once('SIGTERM', onSigint);
        try {
          const result = await ctx.hub.exec(project, argv, {
            source: 'cli',
            signal: interrupt.signal,
            ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
            ...(opts.json
              ? {}
              : {
                  onStdout: (c: Buffer) => process.stdout.write(c),
                  onStderr: (c: Buffer) => process.stderr.write(c),
                }),
          });
          if (opts.json) printJson(result);
          // 124 timed out and killed, 125 the kill could not be carried out, 130 interrupted
          const report = stopReport(result, {
            ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
            interrupted: interrupt.signal.aborted,
          });
          if (report.message) progress(report.message);
          process.exitCode = report.exitCode;
        } finally {
          process.off('SIGINT', onSigint);
          process.off('SIGTERM', onSigint);
        }
      },
    );
}
