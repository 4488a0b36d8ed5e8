import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { progress } from '../output.js';

export function registerComposeCommand(program: Command): void {
  program
    .command('compose')
    .description('print an equivalent docker-compose.yml, for people who prefer plain Compose')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (opts: { output?: string }, cmd: Command) => {
      const [{ loadConfig }, { composeFileFor }] = await Promise.all([
        import('../../config/load-config.js'),
        import('../../hub/compose-export.js'),
      ]);
      const { file } = cmd.optsWithGlobals<{ file?: string }>();
      const config = loadConfig({ cwd: process.cwd(), ...(file !== undefined ? { file } : {}) });
      const text = composeFileFor(config);
      if (opts.output === undefined) return void process.stdout.write(text);
      writeFileSync(opts.output, text);
      progress(`wrote ${opts.output}`);
    });
}
