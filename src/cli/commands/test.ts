import type { Command } from 'commander';
import { LinePrefixer } from '../line-prefixer.js';
import { formatDuration, printJson, printLine, progress, renderTable } from '../output.js';
import { parsePositiveInt } from './exec.js';

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description("run each project's commands.test in its own container, concurrently")
    .argument('[projects...]', 'projects to test (default: all)')
    .option('--timeout <ms>', 'per-project timeout in milliseconds', parsePositiveInt)
    .option('--no-up', 'do not bring projects up first')
    .option('--json', 'print the results as JSON')
    .action(
      async (projects: string[], opts: { timeout?: number; up: boolean; json?: boolean }, cmd: Command) => {
        const { openContext } = await import('../context.js');
        await using ctx = openContext(cmd.optsWithGlobals());
        if (opts.up) await ctx.hub.up(projects, (project, line) => progress(`[${project}] ${line}`));
        const prefixers = new Map<string, LinePrefixer>();
        const width = Math.max(...ctx.hub.config.projects.map((p) => p.name.length));
        const prefixerFor = (project: string, stream: string) => {
          const key = `${project}:${stream}`;
          let p = prefixers.get(key);
          if (!p) {
            const out = stream === 'stderr' ? process.stderr : process.stdout;
            p = new LinePrefixer(`${project.padEnd(width)} | `, (t) => out.write(t));
            prefixers.set(key, p);
          }
          return p;
        };
        const report = await ctx.hub.test(projects, {
          ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
          ...(opts.json
            ? {}
            : { onOutput: (project, stream, chunk) => prefixerFor(project, stream).push(chunk) }),
        });
        for (const p of prefixers.values()) p.flush();
        process.exitCode = report.ok ? 0 : 1;
        if (opts.json) return printJson(report);
        printLine();
        printLine(
          renderTable(
            ['PROJECT', 'RESULT', 'EXIT', 'DURATION'],
            report.results.map((r) => [
              r.project,
              r.message ? `${r.status} (${r.message})` : r.status,
              r.exitCode,
              formatDuration(r.durationMs),
            ]),
          ),
        );
        printLine(report.ok ? '\nall tests passed' : '\ntests failed');
      },
    );
}
