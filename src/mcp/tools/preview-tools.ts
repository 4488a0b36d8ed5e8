import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { PreviewStatus } from '../../preview/preview-types.js';
import { requireTeams, type McpDeps } from '../deps.js';
import { guard, ok } from '../tool-result.js';

const teamField = z.string().min(1).describe('Team name, as `berth team list` shows it');
const appField = z.string().min(1).describe('App name within the team, as preview_list shows it');

const previewShape = z.object({
  team: z.string(),
  app: z.string(),
  state: z.string(),
  url: z.string(),
  port: z.number(),
  started_at: z.string().nullable(),
  hot_reload: z.string().nullable(),
  exit_code: z.number().nullable(),
  last_lines: z.array(z.string()),
});

function previewResult(team: string, p: PreviewStatus) {
  return {
    team,
    app: p.app,
    state: p.state,
    url: p.url,
    port: p.port,
    started_at: p.startedAt ?? null,
    hot_reload: p.hotReload ? `${p.hotReload.mode} (${p.hotReload.reason})` : null,
    exit_code: p.exitCode ?? null,
    last_lines: p.state === 'crashed' ? (p.lastLines ?? []) : [],
  };
}

function line(p: ReturnType<typeof previewResult>): string {
  const extra =
    p.state === 'crashed' ? ` (exit ${p.exit_code ?? '?'}): ${p.last_lines.slice(-3).join(' | ')}` : '';
  return `${p.team}/${p.app}: ${p.state} at ${p.url}${extra}`;
}

/** What an agent needs to see its change served: the previews, their logs, and a restart. */
export function registerPreviewTools(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'preview_list',
    {
      title: 'List previews',
      description:
        "The preview containers of one team or of every team: each app's URL (http://127.0.0.1:<port>, reachable from this machine), " +
        'state (installing, starting, ready, unhealthy, crashed, stopped), and how hot reload is done (inotify or polling). ' +
        'A crashed preview comes with the last lines of its log.',
      inputSchema: { team: teamField.optional().describe('Only this team (default: every team)') },
      outputSchema: { previews: z.array(previewShape) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ team }) =>
      guard(deps.logger, async () => {
        const teams = requireTeams(deps);
        const statuses = team !== undefined ? [await teams.status(team)] : await teams.statusAll();
        const previews = statuses.flatMap((s) => s.previews.map((p) => previewResult(s.team, p)));
        const text = previews.length ? previews.map(line).join('\n') : 'no previews';
        return ok(text, { previews });
      }),
  );

  server.registerTool(
    'preview_logs',
    {
      title: 'Preview logs',
      description:
        "The last lines of an app's preview container: the dependency install and the dev server's output (compile errors, reload messages).",
      inputSchema: {
        team: teamField,
        app: appField,
        lines: z
          .number()
          .int()
          .min(1)
          .max(5000)
          .optional()
          .describe('How many lines (default 100, at most 5000)'),
      },
      outputSchema: { team: z.string(), app: z.string(), log: z.string() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ team, app, lines }) =>
      guard(deps.logger, async () => {
        const log = await requireTeams(deps).logs(team, app, lines ?? 100);
        return ok(log || '(no output yet)', { team, app, log });
      }),
  );

  server.registerTool(
    'preview_restart',
    {
      title: 'Restart a preview',
      description:
        "Restarts an app's preview container on the same port and waits until it serves again (HTTP below 500); " +
        'dependencies are reinstalled only when package.json or the lockfile changed.',
      inputSchema: { team: teamField, app: appField },
      outputSchema: { preview: previewShape },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    ({ team, app }) =>
      guard(deps.logger, async () => {
        const status = await requireTeams(deps).restart(team, app);
        const preview = previewResult(team, status);
        return ok(line(preview), { preview });
      }),
  );
}
