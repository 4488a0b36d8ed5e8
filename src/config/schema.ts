import { z } from 'zod';
import { parseSize } from './sizes.js';

export const PROJECT_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Docker accepts nothing smaller than 6 MiB; catching it here keeps `up` from half-failing. */
const MIN_MEMORY = 6 * 1024 * 1024;

const projectName = z
  .string()
  .regex(PROJECT_NAME, 'a project name is lowercase letters, digits, ".", "_" or "-" (max 63)');

const memory = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) ctx.addIssue({ code: 'custom', message: 'expected a size such as 512m or 1g' });
  else if (bytes < MIN_MEMORY) ctx.addIssue({ code: 'custom', message: 'must be at least 6m' });
});

const resources = z
  .object({
    cpus: z.number().positive().max(1024).describe('CPU share, e.g. 1.5').optional(),
    memory: memory.describe('memory limit (swap included), e.g. 1g').optional(),
    pids: z.number().int().min(16).max(4_194_304).describe('maximum number of processes').optional(),
  })
  .strict();

const sync = z
  .object({
    ignore: z.array(z.string().min(1, 'must not be empty').max(4096)).max(10_000).optional(),
    owner: z
      .string()
      .regex(/^\d{1,10}:\d{1,10}$/, 'use uid:gid in numbers, e.g. 1000:1000')
      .optional(),
    attic_max: z
      .union([z.string(), z.number()])
      .refine((v) => parseSize(v) !== undefined, 'expected a size such as 512m or 1g')
      .optional(),
  })
  .strict();

const build = z
  .object({
    context: z.string().min(1),
    dockerfile: z.string().min(1).optional(),
    args: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const projectSchema = z
  .object({
    path: z.string().min(1, 'must not be empty'),
    image: z.string().min(1, 'must not be empty').optional(),
    build: build.optional(),
    commands: z.record(z.string(), z.string().min(1, 'must not be empty')).optional(),
    env: z
      .record(
        z.string().regex(ENV_NAME, 'environment names are letters, digits and "_"'),
        z.union([z.string(), z.number(), z.boolean()]),
      )
      .optional(),
    resources: resources.optional(),
    network: z.enum(['isolated', 'none', 'bridge']).optional(),
    workspace: z.enum(['bind', 'sync'], { error: 'use bind or sync' }).optional(),
    sync: sync.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.image !== undefined && p.build !== undefined)
      ctx.addIssue({ code: 'custom', message: 'set either "image" or "build", not both', path: ['image'] });
    if (p.image === undefined && p.build === undefined)
      ctx.addIssue({ code: 'custom', message: 'set "image" or "build"', path: ['image'] });
  });

const TARGET_RULE =
  /^(project:([a-z0-9][a-z0-9_.-]*|\*)|compose:[A-Za-z0-9][A-Za-z0-9_.-]*|service:[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*)$/;

const opsSchema = z
  .object({
    allow_targets: z
      .array(
        z
          .string()
          .regex(
            TARGET_RULE,
            'use project:<name>, project:*, compose:<project> or service:<project>/<service>',
          ),
      )
      .optional(),
    deny_commands: z
      .array(
        z.string().refine((p) => {
          try {
            new RegExp(p);
            return true;
          } catch {
            return false;
          }
        }, 'must be a valid regular expression'),
      )
      .optional(),
    max_concurrent: z.number().int().min(1).max(1000).optional(),
    default_timeout_ms: z
      .number()
      .int()
      .min(100)
      .max(24 * 3600 * 1000)
      .optional(),
    url: z
      .string()
      .regex(/^(https?|unix):\/\//, 'use http://host:port or unix:///path')
      .optional(),
  })
  .strict();

export const configSchema = z
  .object({
    version: z.literal(1, { error: 'must be 1' }),
    ops: opsSchema.optional(),
    projects: z.record(projectName, projectSchema).refine((p) => Object.keys(p).length > 0, {
      message: 'define at least one project',
    }),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type RawProject = z.infer<typeof projectSchema>;
