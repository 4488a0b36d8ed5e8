import type { Command } from 'commander';
import { BerthError, describeError } from '../../errors.js';
import type { CycleReport } from '../../sync/sync-pair.js';
import { describeCycle } from '../../sync/sync-report.js';
import type { SyncService, SyncStatus } from '../../sync/sync-service.js';
import { syncPathFromText } from '../../sync/typed-path.js';
import { showSyncPath } from '../../workspace/sync-tree/sync-path.js';
import type { GlobalOptions } from '../context.js';
import { printJson, printLine, progress, renderTable } from '../output.js';

const KEEP = ['local', 'container', 'both'] as const;

async function openSync(cmd: Command): Promise<{ sync: SyncService; close: () => Promise<void> }> {
  const { openContext } = await import('../context.js');
  const ctx = openContext(cmd.optsWithGlobals<GlobalOptions>());
  return { sync: await ctx.sync(), close: () => ctx.close() };
}

function namesOrAll(sync: SyncService, projects: string[]): string[] {
  if (projects.length > 0) {
    for (const p of projects) sync.project(p);
    return projects;
  }
  const all = sync.synced().map((p) => p.name);
  if (all.length === 0)
    throw new BerthError(
      'NOT_SYNCED',
      'no project has `workspace: sync` in berth.yaml; there is nothing to sync',
    );
  return all;
}

export function registerSyncCommand(program: Command): void {
  const sync = program
    .command('sync')
    .description(
      'two-way sync of projects with `workspace: sync`: keeps host folder and volume in sync until Ctrl-C',
    )
    .argument('[projects...]', 'synced projects (default: all of them)')
    .option('--once', 'run one full cycle and exit (non-zero when conflicts or a halt remain)')
    .option(
      '--allow-deletes',
      'let this run delete more than the mass-delete limit (after a halt you have checked)',
    )
    .option('--json', 'print each cycle (or the --once result) as JSON')
    .action(
      async (
        projects: string[],
        opts: { once?: boolean; json?: boolean; allowDeletes?: boolean },
        cmd: Command,
      ) => {
        const { sync: service, close } = await openSync(cmd);
        try {
          const names = namesOrAll(service, projects);
          if (opts.once) {
            const reports: Record<string, CycleReport> = {};
            for (const name of names)
              reports[name] = await service.barrier(name, {
                allowDeletes: opts.allowDeletes === true,
                onProgress: (line) => progress(`${name}: ${line}`),
              });
            const unresolved = names.filter(
              (n) => reports[n]!.halt || service.status(n).conflicts.length > 0,
            );
            if (opts.json) printJson({ reports, unresolved });
            else for (const name of names) printLine(describeCycle(name, reports[name]!));
            if (unresolved.length > 0) {
              if (!opts.json)
                progress(
                  `conflicts or a halt remain in: ${unresolved.join(', ')}; see \`berth sync status\``,
                );
              process.exitCode = 1;
            }
            return;
          }
          progress(`syncing ${names.join(', ')}; Ctrl-C to stop`);
          const stop = await service.watch(names, {
            onReport: (project, report) =>
              opts.json
                ? printLine(JSON.stringify({ project, ...report }))
                : printLine(describeCycle(project, report)),
            onError: (project, err) => progress(`${project}: sync failed, retrying: ${describeError(err)}`),
          });
          await new Promise<void>((resolve) => {
            const done = () => resolve();
            process.once('SIGINT', done);
            process.once('SIGTERM', done);
          });
          progress('stopping (the cycle in progress finishes first)');
          await stop();
        } finally {
          await close();
        }
      },
    );

  sync
    .command('status')
    .description('state, last cycle, what moved in the last hour, conflicts, problems and halts')
    .argument('[projects...]', 'synced projects (default: all of them)')
    .option('--json', 'print the status as JSON')
    .action(async (projects: string[], _opts: { json?: boolean }, cmd: Command) => {
      // `--json` is also an option of `berth sync` itself, which commander gives it first
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      const { sync: service, close } = await openSync(cmd);
      try {
        const statuses = namesOrAll(service, projects).map((n) => service.status(n));
        if (json) return printJson(statuses);
        printStatus(statuses);
      } finally {
        await close();
      }
    });

  sync
    .command('resolve')
    .description(
      'end a conflict: keep the local or the container version, or both (what is dropped stays in the attic)',
    )
    .argument('<project>', 'the synced project')
    .argument('<path>', "the conflict's path (or its .berth-conflict copy), relative to the project")
    .requiredOption('--keep <side>', 'local | container | both')
    .option('--json', 'print the result as JSON')
    .action(async (project: string, path: string, opts: { keep: string; json?: boolean }, cmd: Command) => {
      opts.json ??= cmd.optsWithGlobals<{ json?: boolean }>().json;
      if (!(KEEP as readonly string[]).includes(opts.keep))
        throw new BerthError('INVALID_ARGUMENT', `--keep ${opts.keep}: use local, container or both`);
      const target = syncPathFromText(path);
      const { sync: service, close } = await openSync(cmd);
      try {
        const report = await service.resolve(project, target, opts.keep as (typeof KEEP)[number]);
        if (opts.json)
          return printJson({ ...report, path: showSyncPath(report.path), copy: showSyncPath(report.copy) });
        printLine(
          `${project}: ${showSyncPath(report.path)} resolved, kept ${opts.keep}` +
            (report.removed.length
              ? ` (${report.removed.length} removed entr${report.removed.length === 1 ? 'y' : 'ies'} kept in the attic)`
              : ''),
        );
      } finally {
        await close();
      }
    });
}

function printStatus(statuses: SyncStatus[]): void {
  printLine(
    renderTable(
      ['PROJECT', 'STATE', 'LAST CYCLE', 'MOVED 1H (TO HOST/TO CONTAINER)', 'CONFLICTS', 'FILES', 'SIZE'],
      statuses.map((s) => [
        s.project,
        s.state,
        s.lastCycleAt,
        `${s.movedLastHour.toLocal}/${s.movedLastHour.toContainer}`,
        s.conflicts.length,
        s.workspace.files,
        `${(s.workspace.bytes / 1024 / 1024).toFixed(1)} MiB`,
      ]),
    ),
  );
  for (const s of statuses) {
    if (s.halt)
      printLine(`\n${s.project} is halted: ${s.halt.reason} on the ${s.halt.side} side: ${s.halt.detail}`);
    if (s.lastError) printLine(`\n${s.project}: last cycle failed: ${s.lastError}`);
    for (const c of s.conflicts) {
      const side = (e: SyncStatus['conflicts'][number]['local']) =>
        e === null ? 'absent' : e.size !== undefined ? `${e.kind}, ${e.size} bytes` : e.kind;
      printLine(
        `${s.project}: conflict at ${showSyncPath(c.path)} (container: ${side(c.container)}, in place; ` +
          `host: ${side(c.local)}, kept as ${showSyncPath(c.copy)}; since ${c.detectedAt})`,
      );
    }
    for (const p of s.problems.slice(0, 50))
      printLine(`${s.project}: not synced (${p.side}): ${showSyncPath(p.path)}: ${p.reason}`);
  }
}
