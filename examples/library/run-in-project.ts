import { openBerth } from 'berth';

/** Brings a project of the berth.yaml in `cwd` up and runs a command in its own container. */
export async function runInProject(cwd: string, project: string, argv: string[]) {
  // runtime, store, logger and config, wired once; closed when this block ends
  await using berth = openBerth({ cwd });
  await berth.hub.up([project]);
  const { exitCode, stdout } = await berth.hub.exec(project, argv, { timeoutMs: 60_000 });
  return { exitCode, stdout };
}
