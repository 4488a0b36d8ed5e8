import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli, type CliResult } from './run-cli.js';
import { makeTempDir } from './test-hub.js';

export interface SyncedCliProject {
  dir: string;
  /** BERTH_HOME (and what else the test gave) for every CLI call. */
  env: NodeJS.ProcessEnv;
  /** What `berth up` said. */
  up: CliResult;
  /** The project container of `app` (empty when up failed). */
  container: string;
  cli(...args: string[]): Promise<CliResult>;
  /** busybox sh in the project container; its stderr is dropped. */
  inContainer(script: string): string;
}

/**
 * A temp folder with a berth.yaml whose project `app` (busybox, a file `a.txt`) has
 * `workspace: sync`, brought up through the real CLI (`berth up [upArgs]`).
 */
export async function upSyncedCliProject(
  options: {
    extraProjects?: Record<string, Record<string, unknown>>;
    env?: Record<string, string>;
    upArgs?: string[];
  } = {},
): Promise<SyncedCliProject> {
  const dir = makeTempDir();
  const env: NodeJS.ProcessEnv = { BERTH_HOME: join(dir, 'home'), ...options.env };
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app/a.txt'), 'a\n');
  for (const p of Object.values(options.extraProjects ?? {})) mkdirSync(join(dir, String(p.path)));
  writeFileSync(
    join(dir, 'berth.yaml'),
    stringify({
      version: 1,
      projects: {
        app: { path: 'app', image: 'berth-test/busybox', workspace: 'sync', resources: { memory: '128m' } },
        ...options.extraProjects,
      },
    }),
  );
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env, timeoutMs: 180_000 });
  const up = await cli('up', ...(options.upArgs ?? []));
  const container =
    up.code === 0
      ? execFileSync(
          'docker',
          [
            'ps',
            '-q',
            '--filter',
            'label=berth.role=project',
            '--filter',
            `label=berth.path=${join(dir, 'app')}`,
          ],
          { encoding: 'utf8' },
        ).trim()
      : '';
  return {
    dir,
    env,
    up,
    container,
    cli,
    inContainer: (script) =>
      execFileSync('docker', ['exec', container, 'sh', '-c', script], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
  };
}
