import type { Command } from 'commander';
import type { HubConfig } from '../../config/types.js';
import { BerthError, isBerthError } from '../../errors.js';
import { OpsClient } from '../../ops/client/ops-client.js';
import { opsEndpoint } from '../../ops/ops-endpoint.js';
import { berthHome } from '../../store/berth-home.js';
import type { GlobalOptions } from '../context.js';
import { printJson, progress } from '../output.js';
import { processSink, stdinNotice } from '../stream-sink.js';
import { parsePositiveInt, STDIN_HELP } from './exec.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a command through the ops side-car; streams output and exits with its exit code')
    .option(
      '--target <target>',
      'project:<name> or service:<compose-project>/<service> (default: the only project)',
    )
    .option(
      '--timeout <ms>',
      'kill the command and everything it started after this many milliseconds',
      parsePositiveInt,
    )
    .option('--json', 'print one JSON result instead of streaming')
    .argument('[command...]', 'the command and its arguments, after --')
    .addHelpText('after', STDIN_HELP)
    .action(
      async (argv: string[], opts: { target?: string; timeout?: number; json?: boolean }, cmd: Command) => {
        if (argv.length === 0)
          throw new BerthError(
            'EMPTY_COMMAND',
            'the command is empty; give a program to run, e.g. `-- npm test`',
          );
        const notice = stdinNotice();
        if (notice) progress(notice);
        const globals = cmd.optsWithGlobals<GlobalOptions>();
        const config = await tryConfig(globals);
        const target = opts.target ?? defaultTarget(config);
        const client = new OpsClient(opsEndpoint(berthHome(), config));
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        let stdout = '';
        let stderr = '';
        const outcome = await client.run(
          { target, command: argv, ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}) },
          opts.json
            ? {
                onStdout: (c) => {
                  stdout += c.toString();
                },
                onStderr: (c) => {
                  stderr += c.toString();
                },
              }
            : processSink(),
          stop.signal,
        );
        if (opts.json) printJson({ ...outcome, stdout, stderr });
        if (outcome.timedOut)
          progress(`berth: timed out; the process tree was killed (run ${outcome.runId})`);
        process.exitCode = outcome.timedOut ? 124 : outcome.code;
      },
    );
}

async function tryConfig(globals: GlobalOptions): Promise<HubConfig | undefined> {
  const { loadConfig } = await import('../../config/load-config.js');
  try {
    return loadConfig({ cwd: process.cwd(), ...(globals.file !== undefined ? { file: globals.file } : {}) });
  } catch (err) {
    if (globals.file !== undefined || !isBerthError(err)) throw err;
    return undefined;
  }
}

function defaultTarget(config: HubConfig | undefined): string {
  if (config?.file !== undefined && config.projects.length === 1)
    return `project:${config.projects[0]!.name}`;
  const names = config?.file !== undefined ? config.projects.map((p) => `project:${p.name}`).join(', ') : '';
  throw new BerthError(
    'INVALID_ARGUMENT',
    `give --target${names ? ` (one of ${names})` : ', e.g. --target project:web'}`,
  );
}
