import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_TIMEOUT_MS } from '../../exec/run-exec.js';
import { stopReport } from '../../exec/stop-report.js';
import { printJson, progress } from '../output.js';
import { processSink, stdinNotice } from '../stream-sink.js';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** Said in the help of every command that runs something in a container. */
export const STDIN_HELP = `
stdin is not forwarded: the command reads end-of-file (berth says so when it is given a pipe).
Output streams with backpressure: a slow reader pauses the command instead of filling memory.`;

export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .description("run a command in a project's container; streams output and exits with its exit code")
    .argument('<project>', 'project name')
    .argument('[command...]', 'the command and its arguments, after --')
    .option(
      '--timeout <ms>',
      `kill the whole process tree after this many milliseconds (default ${DEFAULT_TIMEOUT_MS})`,
      parsePositiveInt,
    )
    .option('--json', 'print one JSON result instead of streaming')
    .addHelpText('after', STDIN_HELP)
    .action(
      async (project: string, argv: string[], opts: { timeout?: number; json?: boolean }, cmd: Command) => {
        const { openContext } = await import('../context.js');
        await using ctx = openContext(cmd.optsWithGlobals());
        const notice = stdinNotice();
        if (notice) progress(notice);
        const interrupt = new AbortController();
        const onSigint = () => interrupt.abort();
        process.once('SIGINT', onSigint);
        process.once('SIGTERM', onSigint);
        try {
          const result = await ctx.hub.exec(project, argv, {
            source: 'cli',
            signal: interrupt.signal,
            ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
            ...(opts.json ? {} : processSink()),
          });
          if (opts.json) printJson(result);
          // 124 timed out and killed, 125 the kill could not be carried out, 130 interrupted
          const report = stopReport(result, {
            timeoutMs: opts.timeout ?? DEFAULT_TIMEOUT_MS,
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
