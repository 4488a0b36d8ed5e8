import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { silentLogger } from '../../src/logger.js';
import { runCli, type CliResult } from './run-cli.js';
import { FIXTURES, makeTempDir } from './test-hub.js';

export interface CliFixture extends AsyncDisposable {
  dir: string;
  /** BERTH_HOME of this fixture. */
  home: string;
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Containers berth made for projects under this fixture's folder. */
  containers(): Promise<string[]>;
  networks(): Promise<string[]>;
}

/** A copy of test/fixtures/<name> in a temp folder, with its own BERTH_HOME; disposing runs `down`. */
export function cliFixture(name: string): CliFixture {
  const dir = makeTempDir();
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  const env = { BERTH_HOME: join(dir, '.berth-home') };
  const runtime = new DockerRuntime(silentLogger());
  const ours = async () =>
    (await runtime.containers.list({ 'berth.role': 'project' })).filter((c) =>
      (c.labels['berth.path'] ?? '').startsWith(`${dir}/`),
    );
  return {
    dir,
    home: env.BERTH_HOME,
    run: (args, extra) => runCli(args, { cwd: dir, env: { ...env, ...extra } }),
    containers: async () => (await ours()).map((c) => c.name),
    networks: async () => {
      const hubs = new Set((await ours()).map((c) => c.labels['berth.hub']));
      return (await runtime.networks.list({ 'berth.role': 'network' }))
        .filter((n) => hubs.has(n.labels['berth.hub']))
        .map((n) => n.name);
    },
    async [Symbol.asyncDispose]() {
      await runCli(['down'], { cwd: dir, env }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
