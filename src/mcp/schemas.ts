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
