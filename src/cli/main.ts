import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { BerthError } from '../errors.js';
import { registerComposeCommand } from './commands/compose.js';
import { registerDownCommand } from './commands/down.js';
import { registerExecCommand } from './commands/exec.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerOpsCommand } from './commands/ops.js';
import { registerRunCommand } from './commands/run.js';
import { registerSessionCommand } from './commands/session.js';
import { registerSyncCommand } from './commands/sync.js';
import { registerTeamCommand } from './commands/team.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTestCommand } from './commands/test.js';
import { registerUpCommand } from './commands/up.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('berth')
    .description('A workspace hub for AI coding agents: every project in its own container.')
    .version(packageVersion())
    .option('-f, --file <path>', 'config file (default: ./berth.yaml, or the current folder as one project)')
    .option('-C, --cwd <dir>', 'run as if started in this folder')
    // (-f and -C are accepted after the subcommand too, as in `berth up -f berth.yaml`)
    .showHelpAfterError('(run berth --help for usage)')
    .exitOverride();
  registerUpCommand(program);
  registerStatusCommand(program);
  registerExecCommand(program);
  registerTestCommand(program);
  registerLogsCommand(program);
  registerDownCommand(program);
  registerComposeCommand(program);
  registerHistoryCommand(program);
  registerMcpCommand(program);
  registerOpsCommand(program);
  registerRunCommand(program);
  registerSessionCommand(program);
  registerSyncCommand(program);
  registerTeamCommand(program);
  program.hook('preAction', (_program, action) => {
    const { cwd } = action.optsWithGlobals<{ cwd?: string }>();
    if (cwd !== undefined) process.chdir(cwd);
  });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `berth ... | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const wantsJson = argv.includes('--json');
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof BerthError) {
      if (wantsJson) process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
      process.stderr.write(`berth: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(
      `berth: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  }
}

await main(process.argv);
