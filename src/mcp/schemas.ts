import { z } from 'zod';

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
