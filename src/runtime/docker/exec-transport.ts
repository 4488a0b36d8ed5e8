import { join } from 'node:path';
import type Docker from 'dockerode';
import { BerthError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { RunnerChannel } from '../agent/runner-channel.js';
import type {
  AttachedProcess,
  AttachOptions,
  ExecTarget,
  KillOptions,
  RawExecOptions,
  RawExecResult,
  RuntimeExec,
} from '../container-runtime.js';
import type { ContainerInfo } from '../container-spec.js';
import { killMarked } from '../kill-tree.js';
import { ShellChannel } from '../shell/shell-channel.js';
import { engineAttach, engineExec } from './docker-exec.js';

export interface DockerExecDeps {
  docker: () => Promise<Docker>;
  inspect: (id: string) => Promise<ContainerInfo | undefined>;
  logger: Logger;
  /** Where agent folders live, one per container name; none: every command is an engine exec. */
  agentRoot: string | undefined;
  /** The engine was named explicitly (DOCKER_HOST): it must answer before any command runs. */
  explicitEngine: boolean;
}

/**
 * How a command gets into a Docker container, fastest first:
 * - berth's agent (the runner, see agent/), over FIFOs in a bind-mounted host folder: for the
 *   containers berth created with `agent` where the isolation lets FIFOs through (not gVisor);
 * - long-lived attached shells (see shell/): for containers berth did not create (Compose);
 * - the engine's own exec: everything else, and whenever the others cannot take a command (a
 *   user switch, a missing or planted agent folder, an image without a shell).
 * Kills always go through the engine, so they work when the agent is stuck or gone.
 */
export class DockerExec implements RuntimeExec {
  /** Attached shells per foreign container. */
  private readonly shells = new Map<string, ShellChannel>();

  constructor(private readonly deps: DockerExecDeps) {}

  async run(target: ExecTarget, options: RawExecOptions): Promise<RawExecResult> {
    let id: string | undefined;
    const resolve = async () => (id ??= typeof target.id === 'string' ? target.id : await target.id());
    if (this.deps.explicitEngine) await this.expectRunning(await resolve());
    if (options.user === undefined) {
      const agent = this.agentFor(target);
      const viaAgent = agent ? await agent.exec(options) : undefined;
      if (viaAgent) return viaAgent;
      if (target.foreign) {
        const viaShell = await this.shellsFor(await resolve()).exec(options);
        if (viaShell) return viaShell;
      }
    }
    return engineExec(await this.deps.docker(), await resolve(), options);
  }

  async kill(target: ExecTarget, marker: string, options: KillOptions = {}): Promise<boolean> {
    const id = typeof target.id === 'string' ? target.id : await target.id();
    const docker = await this.deps.docker();
    return killMarked((exec) => engineExec(docker, id, exec), marker, options);
  }

  async attach(id: string, options: AttachOptions): Promise<AttachedProcess> {
    return engineAttach(await this.deps.docker(), id, options);
  }

  /** The host folder of a container's agent (whether or not it runs one). */
  agentDir(name: string): string | undefined {
    return this.deps.agentRoot === undefined ? undefined : join(this.deps.agentRoot, name);
  }

  close(): void {
    for (const shells of this.shells.values()) shells.close();
    this.shells.clear();
  }

  /** Forgets the shells of a container that is gone. */
  forget(id: string): void {
    this.shells.get(id)?.close();
    this.shells.delete(id);
  }

  private agentFor(target: ExecTarget): RunnerChannel | undefined {
    if (target.foreign || target.name === undefined) return undefined;
    const dir = this.agentDir(target.name);
    return dir === undefined ? undefined : new RunnerChannel(dir);
  }

  private shellsFor(id: string): ShellChannel {
    let shells = this.shells.get(id);
    if (!shells) {
      const host = {
        attach: (options: AttachOptions) => this.attach(id, options),
        kill: (marker: string, deadlineMs: number) => this.kill({ id }, marker, { deadlineMs }),
      };
      shells = new ShellChannel(host, id, this.deps.logger);
      this.shells.set(id, shells);
    }
    return shells;
  }

  /** Asks the engine (so one that does not answer fails the command before anything runs). */
  private async expectRunning(id: string): Promise<void> {
    const info = await this.deps.inspect(id);
    if (info?.state !== 'running') {
      throw new BerthError('NOT_RUNNING', 'the container is not running', { container: id.slice(0, 12) });
    }
  }
}
