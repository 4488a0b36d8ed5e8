import { z } from 'zod';
import { DEFAULT_LIMITS, type WorkspaceLimits } from '../workspace/workspace.js';
import type { McpDeps } from './deps.js';

/** Input fields shared by several tools. */
export const projectField = z
  .string()
  .min(1)
  .describe('Project name, as listed by list_projects (for example "web")');

export const pathField = (what: string) =>
  z
    .string()
    .describe(
      `${what}, relative to the project root (for example "src/index.ts"); absolute paths and ".." escapes are refused`,
    );

/** File tools and run_command work on a project or, instead, on a sandboxed session. */
export const targetFields = {
  project: projectField.optional(),
  session: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Session id from session_start, instead of project: work in that sandboxed copy, where every change is a step',
    ),
};

/**
 * The file tools also work on a team's workspace (`berth team`), where the previews' dev
 * servers see each change (hot reload).
 */
export const fileTargetFields = {
  ...targetFields,
  team: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Team name (see preview_list), instead of project: work in that team's workspace; its previews reload on each change",
    ),
};

/** The limits the server's workspaces use, for stating them in tool descriptions. */
export function limitsOf(deps: McpDeps): WorkspaceLimits {
  return deps.limits ?? DEFAULT_LIMITS;
}

/** What list_files and directory_tree say about a name that is not plain. */
export const NAME_NOTE =
  'Names are matched as written; a name that does not exist exactly is found by its Unicode NFC form when one entry has it. A path that is not NFC, has invisible characters, or is not UTF-8 comes with "escaped": the path with those code points as \\uXXXX (JSON escapes, usable as a path) and stray bytes as \\xNN (not_utf8: such names cannot be given to the file tools; use run_command).';

/** The structured form of a listed path's look-alike information. */
export function nameFields(entry: { escaped?: string; notUtf8?: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (entry.escaped !== undefined) out.escaped = entry.escaped;
  if (entry.notUtf8) out.not_utf8 = true;
  return out;
}
