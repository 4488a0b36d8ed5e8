import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { CycleReport } from '../../sync/sync-pair.js';
import type { SyncStatus } from '../../sync/sync-service.js';
import { syncPathFromText } from '../../sync/typed-path.js';
import { showSyncPath } from '../../workspace/sync-tree/sync-path.js';
import { requireSync, type McpDeps } from '../deps.js';
import { guard, ok } from '../tool-result.js';

const projectField = z.string().min(1).describe('A project with `workspace: sync`');

/** Paths reach agents as UTF-8 text (bytes that are not UTF-8 escaped); they arrive back the same. */
const show = showSyncPath;

function cycleResult(report: CycleReport) {
  return {
    first_sync: report.firstSync,
    to_container: report.toContainer,
    to_local: report.toLocal,
    moved: report.moved.map((m) => ({ side: m.side, path: show(m.path), op: m.op })),
    conflicts: report.conflicts.map((c) => ({ path: show(c.path), kept_as: show(c.copy) })),
    halt: report.halt ?? null,
    problems: report.problems.map((p) => ({ side: p.side, path: show(p.path), reason: p.reason })),
    retry: report.retry.length,
    duration_ms: report.durationMs,
  };
}

function statusResult(s: SyncStatus) {
  return {
    project: s.project,
    state: s.state,
    last_cycle_at: s.lastCycleAt,
    cycles: s.cycles,
    moved_last_hour: { to_local: s.movedLastHour.toLocal, to_container: s.movedLastHour.toContainer },
    conflicts: s.conflicts.map((c) => ({
      path: show(c.path),
      kept_as: show(c.copy),
      detected_at: c.detectedAt,
      container: c.container,
      local: c.local,
    })),
    halt: s.halt,
    last_error: s.lastError,
    problems: s.problems.map((p) => ({ side: p.side, path: show(p.path), reason: p.reason })),
    workspace: s.workspace,
  };
}

const entrySummary = z.object({ kind: z.string(), size: z.number().optional() }).nullable();
const halt = z.object({ reason: z.string(), side: z.string(), detail: z.string() }).nullable();

export function registerSyncTools(server: McpServer, deps: McpDeps): void {
  server.registerTool(
    'sync_from_local',
    {
      title: 'Sync a project now',
      description:
        'A barrier for a project with `workspace: sync`: rescans the host folder and the container volume, ' +
        'runs sync cycles until what changed before the call has crossed, and returns what moved each way, conflicts (both versions ' +
        'are kept: the container version in place, the host version beside it as `<name>.berth-conflict-local-<time>`) ' +
        'and halts. It never overrides the container side. `paths`/`exclude` only narrow what is reported.',
      inputSchema: {
        project: projectField,
        paths: z
          .array(z.string().min(1))
          .max(1000)
          .optional()
          .describe('Only report these paths (and what is under them)'),
        exclude: z
          .array(z.string().min(1))
          .max(1000)
          .optional()
          .describe('Leave these paths out of the report'),
      },
      outputSchema: {
        first_sync: z.boolean(),
        to_container: z.number(),
        to_local: z.number(),
        moved: z.array(z.object({ side: z.string(), path: z.string(), op: z.string() })),
        conflicts: z.array(z.object({ path: z.string(), kept_as: z.string() })),
        halt,
        problems: z.array(z.object({ side: z.string(), path: z.string(), reason: z.string() })),
        retry: z.number(),
        duration_ms: z.number(),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    ({ project, paths, exclude }) =>
      guard(deps.logger, async () => {
        const sync = requireSync(deps);
        const only = paths?.map(syncPathFromText);
        const without = exclude?.map(syncPathFromText);
        const under = (p: string, roots: string[]) => roots.some((r) => p === r || p.startsWith(`${r}/`));
        const keep = (p: string) => (!only || under(p, only)) && (!without || !under(p, without));
        const report = await sync.barrier(project);
        const narrowed: CycleReport = {
          ...report,
          moved: report.moved.filter((m) => keep(m.path)),
          conflicts: report.conflicts.filter((c) => keep(c.path)),
          problems: report.problems.filter((p) => keep(p.path)),
        };
        const result = cycleResult(narrowed);
        const lines = [
          report.halt
            ? `HALTED: ${report.halt.reason} on the ${report.halt.side} side: ${report.halt.detail}`
            : `${report.toContainer} change(s) to the container, ${report.toLocal} to the host`,
          ...result.conflicts.map(
            (c) => `conflict at ${c.path}: container version in place, host version kept as ${c.kept_as}`,
          ),
          ...result.problems.slice(0, 20).map((p) => `not synced (${p.side}): ${p.path}: ${p.reason}`),
        ];
        return ok(lines.join('\n'), result);
      }),
  );

  server.registerTool(
    'sync_status',
    {
      title: 'Sync status',
      description:
        'State of two-way sync for one synced project or all of them: last cycle, files moved each way in the ' +
        "last hour, open conflicts with both sides' size, problems, halts and the workspace size.",
      inputSchema: {
        project: z
          .string()
          .min(1)
          .optional()
          .describe('A project with `workspace: sync` (default: all of them)'),
      },
      outputSchema: {
        projects: z.array(
          z.object({
            project: z.string(),
            state: z.string(),
            last_cycle_at: z.string().nullable(),
            cycles: z.number(),
            moved_last_hour: z.object({ to_local: z.number(), to_container: z.number() }),
            conflicts: z.array(
              z.object({
                path: z.string(),
                kept_as: z.string(),
                detected_at: z.string(),
                container: entrySummary,
                local: entrySummary,
              }),
            ),
            halt,
            last_error: z.string().nullable(),
            problems: z.array(z.object({ side: z.string(), path: z.string(), reason: z.string() })),
            workspace: z.object({
              files: z.number(),
              folders: z.number(),
              links: z.number(),
              bytes: z.number(),
            }),
          }),
        ),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ project }) =>
      guard(deps.logger, async () => {
        const sync = requireSync(deps);
        const names = project ? [project] : sync.synced().map((p) => p.name);
        const projects = names.map((n) => statusResult(sync.status(n)));
        const text = projects.length
          ? projects
              .map(
                (s) =>
                  `${s.project}: ${s.state}, ${s.workspace.files} files, ${s.conflicts.length} conflict(s)` +
                  (s.halt ? `, halted: ${s.halt.detail}` : ''),
              )
              .join('\n')
          : 'no project has `workspace: sync`';
        return ok(text, { projects });
      }),
  );

  server.registerTool(
    'sync_resolve',
    {
      title: 'Resolve a sync conflict',
      description:
        'Ends a conflict of a synced project: keep `container` (the version in place; the host copy is removed), ' +
        '`local` (the host version goes back in place) or `both` (both files stay). Whatever is removed is kept in the attic.',
      inputSchema: {
        project: projectField,
        path: z.string().min(1).describe('The conflict path, or its .berth-conflict copy'),
        keep: z
          .enum(['local', 'container', 'both'])
          .describe(
            'container: the version in place; local: the host version back in place; both: keep both files',
          ),
      },
      outputSchema: {
        path: z.string(),
        kept_as: z.string(),
        keep: z.string(),
        removed: z.array(z.object({ side: z.string(), path: z.string() })),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ project, path, keep }) =>
      guard(deps.logger, async () => {
        const r = await requireSync(deps).resolve(project, syncPathFromText(path), keep);
        return ok(`${show(r.path)}: kept ${keep}`, {
          path: show(r.path),
          kept_as: show(r.copy),
          keep,
          removed: r.removed.map((x) => ({ side: x.side, path: show(x.path) })),
        });
      }),
  );
}
