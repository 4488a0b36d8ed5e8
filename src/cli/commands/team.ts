import type { Command } from 'commander';
import { BerthError } from '../../errors.js';
import type { PreviewStatus } from '../../preview/preview-types.js';
import type { Teams } from '../../app/open-teams.js';
import { formatUptime, printJson, printLine, progress, renderTable } from '../output.js';

async function openTeamsFor(): Promise<Teams> {
  const { openTeams } = await import('../../app/open-teams.js');
  return openTeams();
}

/** `--json` is an option of each subcommand; commander may give it to the parent first. */
function wantsJson(cmd: Command): boolean {
  return cmd.optsWithGlobals<{ json?: boolean }>().json === true;
}

async function withTeams<T>(run: (teams: Teams) => Promise<T>): Promise<T> {
  const teams = await openTeamsFor();
  try {
    return await run(teams);
  } finally {
    await teams.close();
  }
}

export function registerTeamCommand(program: Command): void {
  const team = program
    .command('team')
    .description('team workspaces: a repository from a git URL, with a preview container per app');

  team
    .command('start')
    .description(
      'clone the repository (a new team), detect its apps, write berth.team.yaml and start a preview per app; an existing team starts again from its config',
    )
    .argument('<team>', 'the team name (lowercase letters, digits and "-")')
    .argument('[git-url]', 'any git URL (https, ssh, git, file://) or a local path; needed for a new team')
    .option('--branch <branch>', "the branch to check out (default: the remote's default branch)")
    .option('--path <dir>', 'where the work tree goes (default: $BERTH_HOME/teams/<team>/workspace)')
    .option(
      '--workspace <kind>',
      "bind (mount the work tree) or sync (a volume kept in sync with it), written into a new team's berth.team.yaml (default: sync only when the engine cannot bind-mount)",
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (
        name: string,
        url: string | undefined,
        opts: { branch?: string; path?: string; workspace?: string },
        cmd: Command,
      ) => {
        const json = wantsJson(cmd);
        if (opts.workspace !== undefined && opts.workspace !== 'bind' && opts.workspace !== 'sync') {
          throw new BerthError('INVALID_ARGUMENT', `--workspace is bind or sync, not "${opts.workspace}"`);
        }
        const workspace = opts.workspace;
        await withTeams(async ({ teams }) => {
          const { resolve } = await import('node:path');
          const report = await teams.start(name, {
            ...(url !== undefined ? { url: absoluteLocal(url, resolve) } : {}),
            ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
            ...(opts.path !== undefined ? { path: resolve(opts.path) } : {}),
            ...(workspace !== undefined ? { workspace } : {}),
            onProgress: (line) => progress(`${name}: ${line}`),
          });
          if (json) printJson(report);
          else {
            printPreviews(report.previews);
            for (const f of report.failed) printLine(`${f.app}: did not start: ${f.error}`);
            printLine(`\nconfig: ${report.configFile} (edit it; it wins on the next start)`);
          }
          if (report.failed.length > 0) process.exitCode = 1;
        });
      },
    );

  team
    .command('status')
    .description('per preview: role, state, health, URL, port, uptime and hot reload')
    .argument('<team>', 'the team')
    .option('--json', 'print the status as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      await withTeams(async ({ teams }) => {
        const status = await teams.status(name);
        if (json) return printJson(status);
        printLine(`${status.team}: ${status.url} (${status.branch}), workspace ${status.workspace}`);
        if (status.sync) {
          const s = status.sync;
          printLine(
            `workspace: synced volume (${status.workspaceReason}); sync ${s.state}, side-car ${s.sidecar}` +
              `${s.lastCycleAt ? `, last cycle ${s.lastCycleAt}` : ''}${s.conflicts.length ? `, ${s.conflicts.length} conflict(s)` : ''}` +
              `${s.halt ? `, halted: ${s.halt.detail}` : ''}`,
          );
        } else printLine(`workspace: bind mount (${status.workspaceReason})`);
        printPreviews(status.previews);
      });
    });

  team
    .command('list')
    .description('the teams of this BERTH_HOME')
    .option('--json', 'print the list as JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      await withTeams(async ({ teams }) => {
        const all = await teams.statusAll();
        if (json) return printJson(all);
        if (all.length === 0) return printLine('no teams yet: `berth team start <team> <git-url>` makes one');
        printLine(
          renderTable(
            ['TEAM', 'REPOSITORY', 'BRANCH', 'PREVIEWS', 'READY', 'WORKSPACE'],
            all.map((t) => [
              t.team,
              t.url,
              t.branch,
              t.previews.length,
              t.previews.filter((p) => p.state === 'ready').length,
              t.workspace,
            ]),
          ),
        );
      });
    });

  team
    .command('stop')
    .description("stop the team's containers (workspace, volumes, ports and config are kept)")
    .argument('<team>', 'the team')
    .option('--json', 'print the previews afterwards as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      await withTeams(async ({ teams }) => {
        const previews = await teams.stop(name);
        if (json) return printJson({ team: name, previews });
        printLine(`${name}: ${previews.length} preview${previews.length === 1 ? '' : 's'} stopped`);
      });
    });

  team
    .command('cleanup')
    .description(
      "remove the team's containers, networks and volumes; --purge also deletes the workspace, its git data and config (needs --yes)",
    )
    .argument('<team>', 'the team')
    .option('--purge', 'also delete the workspace, the git data, berth.team.yaml and the team itself')
    .option('--yes', 'confirm --purge after reading what it would lose')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { purge?: boolean; yes?: boolean }, cmd: Command) => {
      const json = wantsJson(cmd);
      await withTeams(async ({ teams }) => {
        const result = await teams.cleanup(name, opts);
        if ('refused' in result) {
          const { changed, unpushed } = result.refused;
          if (json) printJson({ team: name, purged: false, wouldLose: result.refused });
          const lines = [
            changed.length
              ? `${changed.length} uncommitted change${changed.length === 1 ? '' : 's'}: ${changed.slice(0, 20).join(', ')}${changed.length > 20 ? ', …' : ''}`
              : 'no uncommitted changes',
            unpushed.length
              ? `${unpushed.length} commit${unpushed.length === 1 ? '' : 's'} not on the remote: ${unpushed.slice(0, 10).join('; ')}`
              : 'no commits the remote lacks',
          ];
          throw new BerthError(
            'INVALID_ARGUMENT',
            `--purge deletes team ${name}'s workspace for good; it would lose: ${lines.join('; ')}. Run again with --yes to delete it; nothing was removed`,
            { team: name, ...result.refused },
          );
        }
        if (json) return printJson(result);
        printLine(
          `${name}: removed ${result.containers} container(s), ${result.networks} network(s), ${result.volumes} volume(s); released ${result.ports} port(s)${result.purged ? '; workspace, git data and config deleted' : ''}`,
        );
      });
    });

  team
    .command('sync')
    .description(
      "fetch the team's branch and merge it into the workspace (local changes are committed first); a conflict is reported and changes nothing",
    )
    .argument('<team>', 'the team')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      await withTeams(async ({ teams }) => {
        const report = await teams.sync(name, (line) => progress(`${name}: ${line}`));
        if (json) printJson(report);
        else if (report.conflicts.length > 0)
          printLine(
            `${name}: the merge of the remote's changes conflicts in ${report.conflicts.join(', ')}; the workspace is as it was (your changes are committed${report.localCommit ? ` as ${report.localCommit.slice(0, 12)}` : ''}), nothing was merged`,
          );
        else if (report.upToDate) printLine(`${name}: up to date at ${report.head.slice(0, 12)}`);
        else
          printLine(
            `${name}: merged ${report.before.slice(0, 12)}..${report.after.slice(0, 12)}; now at ${report.head.slice(0, 12)}${report.localCommit ? ` (your changes committed first as ${report.localCommit.slice(0, 12)})` : ''}`,
          );
        if (report.conflicts.length > 0) process.exitCode = 1;
      });
    });

  team
    .command('export')
    .description('print an equivalent docker-compose.yml for the team')
    .argument('<team>', 'the team')
    .action(async (name: string) => {
      await withTeams(async ({ teams }) => {
        process.stdout.write(await teams.composeFile(name));
      });
    });

  team
    .command('logs')
    .description("the last lines of an app's preview (dev server and install)")
    .argument('<team>', 'the team')
    .argument('<app>', 'the app (see `berth team status`)')
    .option('-n, --lines <n>', 'how many lines', '100')
    .action(async (name: string, app: string, opts: { lines: string }) => {
      const lines = Number(opts.lines);
      if (!Number.isInteger(lines) || lines < 1 || lines > 10_000)
        throw new BerthError(
          'INVALID_ARGUMENT',
          `--lines ${opts.lines}: give a whole number from 1 to 10000`,
        );
      await withTeams(async ({ teams }) => {
        const log = await teams.logs(name, app, lines);
        process.stdout.write(log.endsWith('\n') || log === '' ? log : `${log}\n`);
      });
    });

  team
    .command('restart')
    .description("restart an app's preview (same port; dependencies are not reinstalled when unchanged)")
    .argument('<team>', 'the team')
    .argument('<app>', 'the app')
    .option('--json', 'print the preview as JSON')
    .action(async (name: string, app: string, _opts: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      await withTeams(async ({ teams }) => {
        const status = await teams.restart(name, app, (line) => progress(`${name}/${app}: ${line}`));
        if (json) return printJson(status);
        printPreviews([status]);
      });
    });
}

function printPreviews(previews: PreviewStatus[]): void {
  if (previews.length === 0) return printLine('no previews');
  const now = Date.now();
  printLine(
    renderTable(
      ['APP', 'ROLE', 'STATE', 'URL', 'PORT', 'UPTIME', 'HOT RELOAD'],
      previews.map((p) => [
        p.app,
        'preview',
        p.state,
        p.url,
        p.port,
        formatUptime(
          p.startedAt && (p.state === 'ready' || p.state === 'unhealthy' || p.state === 'starting')
            ? Math.max(0, Math.round((now - Date.parse(p.startedAt)) / 1000))
            : null,
        ),
        p.hotReload?.mode ?? null,
      ]),
    ),
  );
  for (const p of previews) {
    if (p.state === 'crashed' && p.lastLines?.length)
      printLine(`\n${p.app} crashed (exit ${p.exitCode ?? '?'}); its last lines:\n${p.lastLines.join('\n')}`);
  }
}

/**
 * A local repository may be given relative to the current folder; git URLs (scheme:// or the
 * scp form [user@]host:path) are passed as they are.
 */
function absoluteLocal(url: string, resolve: (p: string) => string): string {
  // a colon before the first slash: a URL with a scheme, or git's scp form (host:path)
  if (/^[^/]*:/.test(url) || url.startsWith('/')) return url;
  if (url.startsWith('-')) return url; // refused by the URL check with its own message
  return resolve(url);
}
