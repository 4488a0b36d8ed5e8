import type { Command } from 'commander';
import { BerthError } from '../../errors.js';
import type { GlobalOptions } from '../context.js';
import { formatUptime, printJson, printLine, progress, renderTable } from '../output.js';
import { DEFAULT_TIMEOUT_MS } from '../../exec/run-exec.js';
import { processSink, stdinNotice } from '../stream-sink.js';
import { parsePositiveInt, STDIN_HELP } from './exec.js';

function parsePositiveIntOrZero(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new BerthError('INVALID_ARGUMENT', `step ${value}: give a whole number from the log`);
  return n;
}

async function openSessions(cmd: Command) {
  const { openContext, openSessionsFor } = await import('../context.js');
  const ctx = openContext(cmd.optsWithGlobals<GlobalOptions>());
  return { ctx, sessions: await openSessionsFor(ctx) };
}

interface StartOptions {
  project?: string;
  path?: string;
  runtime: string;
  network: 'none' | 'bridge';
  cpus?: string;
  memory?: string;
  pids?: number;
  image?: string;
  includeIgnored?: boolean;
  json?: boolean;
}

export function registerSessionCommand(program: Command): void {
  const session = program
    .command('session')
    .description('sandboxed sessions: a locked-down copy of a project where every change is a git commit');

  session
    .command('start')
    .description('copy a project into a sandbox and start its container; prints the session id')
    .option('--project <name>', 'a project of berth.yaml')
    .option('--path <dir>', 'a folder (default: the current folder)')
    .option(
      '--runtime <runtime>',
      'auto (the strongest isolation the engine has, e.g. gVisor) | standard | strong | a runtime name the engine offers',
      'auto',
    )
    .option('--network <mode>', 'none | bridge', 'none')
    .option('--cpus <n>', 'CPU limit (default 1)')
    .option('--memory <size>', 'memory limit, swap included (default 1g)')
    .option('--pids <n>', 'process limit (default 256)', parsePositiveInt)
    .option('--image <image>', 'image to run (default: the project image, else berth-test/toolchain)')
    .option('--include-ignored', 'also copy files that .gitignore excludes')
    .option('--json', 'print the session as JSON')
    .action(async (opts: StartOptions, cmd: Command) => {
      if (!['none', 'bridge'].includes(opts.network)) {
        throw new BerthError('INVALID_ARGUMENT', `--network ${opts.network}: use none or bridge`);
      }
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      let path = opts.path ?? process.cwd();
      let image = opts.image;
      if (opts.project !== undefined) {
        const project = ctx.hub.project(opts.project);
        path = project.path;
        image ??= project.image;
      }
      const cpus = opts.cpus === undefined ? undefined : Number(opts.cpus);
      if (cpus !== undefined && !(cpus > 0))
        throw new BerthError('INVALID_ARGUMENT', `--cpus ${opts.cpus}: give a positive number`);
      const record = await sessions.start({
        path,
        runtime: opts.runtime,
        network: opts.network,
        includeIgnored: opts.includeIgnored ?? false,
        onProgress: (line) => progress(`session: ${line}`),
        ...(opts.project !== undefined ? { project: opts.project } : {}),
        ...(image !== undefined ? { image } : {}),
        ...(cpus !== undefined ? { cpus } : {}),
        ...(opts.memory !== undefined ? { memory: opts.memory } : {}),
        ...(opts.pids !== undefined ? { pids: opts.pids } : {}),
      });
      if (opts.json) return printJson(record);
      printLine(record.id);
    });

  session
    .command('exec')
    .description("run a command in the session's container; a change becomes one commit")
    .argument('<id>', 'session id')
    .argument('[command...]', 'the command and its arguments, after --')
    .option(
      '--timeout <ms>',
      `kill the command and everything it started after this many milliseconds (default ${DEFAULT_TIMEOUT_MS})`,
      parsePositiveInt,
    )
    .addHelpText('after', STDIN_HELP)
    .action(async (id: string, argv: string[], opts: { timeout?: number }, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      const notice = stdinNotice();
      if (notice) progress(notice);
      const result = await sessions.exec(id, argv, {
        ...processSink(),
        ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
      });
      if (result.timedOut)
        progress(
          `berth: timed out after ${opts.timeout ?? DEFAULT_TIMEOUT_MS} ms; the process tree was killed`,
        );
      if (result.notice !== undefined) progress(`berth: ${result.notice}`);
      process.exitCode = result.timedOut ? 124 : result.exitCode;
    });

  session
    .command('log')
    .description('the steps of a session: the baseline, then one commit per change')
    .argument('<id>', 'session id')
    .option('--json', 'print the steps as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      const steps = await sessions.log(id);
      if (opts.json) return printJson({ steps });
      printLine(
        renderTable(
          ['STEP', 'COMMIT', 'WHEN', 'WHAT'],
          steps.map((s) => [s.step, s.commit.slice(0, 10), s.at, s.message]),
        ),
      );
    });

  session
    .command('diff')
    .description('everything the session changed since its baseline')
    .argument('<id>', 'session id')
    .option('--stat', 'a summary per file')
    .action(async (id: string, opts: { stat?: boolean }, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      process.stdout.write(await sessions.diff(id, opts.stat ?? false));
    });

  session
    .command('rollback')
    .description('return the workspace to a step of the log (recorded as a new step)')
    .argument('<id>', 'session id')
    .argument('<step>', 'step number from `berth session log`', parsePositiveIntOrZero)
    .action(async (id: string, step: number, _opts: unknown, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      const done = await sessions.rollback(id, step);
      printLine(`step ${done.step}: ${done.message}`);
    });

  session
    .command('apply')
    .description(
      'write the changes back to the host folder (three-way: host edits are never overwritten); a full apply ends the session',
    )
    .argument('<id>', 'session id')
    .option('--paths <paths...>', 'only these files or folders (the session stays open with the rest)')
    .option('--allow-mass-delete', 'apply even when the session deletes many files (they go to the trash)')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        id: string,
        opts: { paths?: string[]; allowMassDelete?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const { ctx, sessions } = await openSessions(cmd);
        await using _ = ctx;
        const report = await sessions.apply(id, opts.paths ?? [], {
          allowMassDelete: opts.allowMassDelete ?? false,
        });
        if (report.conflicts.length > 0) process.exitCode = 3;
        if (opts.json) return printJson(report);
        for (const p of report.written) printLine(`written   ${p}`);
        for (const p of report.deleted) printLine(`deleted   ${p}`);
        for (const p of report.folders.created) printLine(`folder    ${p}`);
        for (const p of report.folders.removed) printLine(`removed   ${p}/`);
        for (const c of report.conflicts) {
          printLine(
            `CONFLICT  ${c.path}: ${c.why}; host version kept${c.sessionCopy ? `, session version in ${c.sessionCopy}` : ''}`,
          );
        }
        for (const r of report.refused) printLine(`refused   ${r.path}: ${r.why}`);
        for (const r of report.skipped) printLine(`skipped   ${r.path}: ${r.why}`);
        printLine(
          `\n${report.written.length} written, ${report.deleted.length} deleted, ${report.conflicts.length} conflicts, ${report.refused.length} refused, ${report.skipped.length} skipped`,
        );
        if (report.trash)
          printLine(`replaced and deleted files are in the trash: berth session restore ${report.trash}`);
        if (report.remaining.length > 0)
          printLine(
            `${report.remaining.length} paths not applied yet; the session stays open: ${report.remaining.join(', ')}`,
          );
      },
    );

  session
    .command('restore')
    .description('put back files an apply deleted or replaced (never over an existing file)')
    .argument('<id>', 'an apply id (from the apply report) or a session id')
    .option('--paths <paths...>', 'only these files or folders')
    .option('--json', 'print the report as JSON')
    .action(async (id: string, opts: { paths?: string[]; json?: boolean }, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      const reports = await sessions.restore(id, opts.paths ?? []);
      if (opts.json) return printJson({ restores: reports });
      for (const r of reports) {
        for (const p of r.restored) printLine(`restored  ${p}`);
        for (const b of r.beside) printLine(`beside    ${b.path}: something is there; restored as ${b.as}`);
        for (const f of r.failed) printLine(`FAILED    ${f.path}: ${f.why}`);
        if (r.failed.length > 0) process.exitCode = 1;
      }
    });

  session
    .command('trash')
    .description('what applies deleted or replaced, kept for `berth session restore`')
    .option('--json', 'print {"applies":[...]} as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      const applies = await sessions.trash();
      if (opts.json) return printJson({ applies });
      printLine(
        renderTable(
          ['APPLY', 'SESSION', 'WHEN', 'ENTRIES', 'PATH'],
          applies.map((a) => [a.applyId, a.session, a.at, a.entries.length, a.hostPath]),
        ),
      );
    });

  session
    .command('merge')
    .description(
      'for a git repository: put the session commits on branch berth/<id>, working tree untouched; ends the session',
    )
    .argument('<id>', 'session id')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      const result = await sessions.merge(id);
      if (opts.json) return printJson(result);
      printLine(`branch ${result.branch}: ${result.commits} commits (the working tree is unchanged)`);
    });

  session
    .command('discard')
    .description('end a session without applying anything; removes its container and sandbox')
    .argument('<id>', 'session id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      await sessions.discard(id);
      printLine(`discarded ${id}`);
    });

  session
    .command('list')
    .description('every session: project, state, runtime and age')
    .option('--json', 'print {"sessions":[...]} as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { ctx, sessions } = await openSessions(cmd);
      await using _ = ctx;
      const list = sessions.list();
      if (opts.json) return printJson({ sessions: list });
      const now = Date.now();
      printLine(
        renderTable(
          ['ID', 'PROJECT', 'STATE', 'RUNTIME', 'LIMITS', 'AGE', 'PATH'],
          list.map((s) => [
            s.id,
            s.project,
            s.state,
            s.runtime,
            s.memory === null ? '' : `${s.cpus} cpu, ${s.memory}, ${s.pids} pids`,
            formatUptime(Math.round((now - Date.parse(s.createdAt)) / 1000)),
            s.hostPath,
          ]),
        ),
      );
    });
}
