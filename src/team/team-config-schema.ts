import { z } from 'zod';
import { APP_NAME } from './detect/app-names.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const envMap = z.record(
  z.string().regex(ENV_NAME, 'environment names are letters, digits and "_"'),
  z.union([z.string(), z.number(), z.boolean()]),
);

/** A folder inside the workspace: '.' or a relative '/'-separated path that never goes up. */
const root = z
  .string()
  .max(1000)
  .refine((r) => !r.startsWith('/') && !r.includes('\0') && !r.split('/').includes('..'), {
    message: 'give a folder relative to the repository root, inside it (no "/" at the start, no "..")',
  });

const appSchema = z
  .object({
    root: root.describe('folder of the app; "." is the repository root'),
    framework: z.string().min(1, 'must not be empty').max(64),
    runtime: z.enum(['node', 'python', 'static'], { error: 'use node, python or static' }),
    role: z.enum(['preview'], { error: 'only "preview" for now (agent containers come later)' }).optional(),
    enabled: z.boolean().optional(),
    dev: z
      .object({
        command: z.string().trim().min(1, 'must not be empty').max(4096),
        env: envMap.optional(),
      })
      .strict(),
    install: z.string().trim().min(1, 'must not be empty; leave it out for no install').max(4096).optional(),
    install_root: root.optional(),
    port: z.number().int().min(1024, 'must be 1024 or more').max(65535, 'must be 65535 or less').optional(),
    image: z.string().min(1, 'must not be empty').optional(),
    hot_reload: z
      .object({
        polling: z.enum(['auto', 'always', 'never'], { error: 'use auto, always or never' }).optional(),
        polling_env: z
          .record(z.string().regex(ENV_NAME, 'environment names are letters, digits and "_"'), z.string())
          .optional(),
        config_file: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    detected: z
      .object({
        confidence: z.number().min(0).max(1),
        evidence: z.array(z.string()),
      })
      .strict()
      .optional(),
  })
  .strict();

export const teamConfigSchema = z
  .object({
    version: z.literal(1, { error: 'must be 1' }),
    autodetect: z.boolean().optional(),
    ca_bundle: z
      .string()
      .refine((p) => p.startsWith('/'), { message: 'give the absolute path of a PEM file' })
      .optional()
      .describe('a CA bundle passed into the previews (wins over BERTH_CA_BUNDLE)'),
    workspace: z
      .enum(['bind', 'sync'], { error: 'use bind or sync' })
      .optional()
      .describe(
        "how previews see the work tree: bind-mounted, or a volume kept in sync with it (default: sync when the engine cannot bind-mount this machine's folders)",
      ),
    sync: z
      .object({
        ignore: z
          .array(z.string().min(1, 'must not be empty').max(4096))
          .max(1000)
          .optional()
          .describe('gitignore-style rules added to the defaults (.git, node_modules/)'),
      })
      .strict()
      .optional(),
    apps: z.record(
      z
        .string()
        .regex(APP_NAME, 'an app name is lowercase letters, digits and "-", starting with a letter (max 40)'),
      appSchema,
    ),
  })
  .strict();

export type RawTeamConfig = z.infer<typeof teamConfigSchema>;
export type RawTeamApp = z.infer<typeof appSchema>;
