import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../../logger.js';
import { ownerOf, prepareRunnerDir, removeRunnerDir } from '../agent/runner-dir.js';
import type { Labels, LogOptions, RuntimeContainers } from '../container-runtime.js';
import type { ContainerInfo, ContainerSpec, ContainerState, PortBinding } from '../container-spec.js';
import { byReplica, composeServiceLabels } from './compose.js';
import { AGENT_LABEL, toCreateOptions } from './container-options.js';
import { demux } from './demux.js';
import { engineError, labelFilter, statusOf } from './engine-call.js';
import { agentWorksUnder } from './gvisor.js';
import { ownContainerId } from './own-container.js';

export interface DockerContainersDeps {
  docker: () => Promise<Docker>;
  logger: Logger;
  /** The host folder of a container's agent, by name; undefined: no agent on this runtime. */
  agentDir: (name: string) => string | undefined;
  /** A container is gone: forget what was kept for it (pooled shells). */
  forget: (id: string) => void;
}

/**
 * Containers through the Engine API. A container created with `agent` gets its agent folder
 * here (made before the container, removed with it); see agent/runner-dir.ts.
 */
export class DockerContainers implements RuntimeContainers {
  private readonly self = ownContainerId();
  /** Created here and not started yet: their agent folder was made with them. */
  private readonly fresh = new Set<string>();

  constructor(private readonly deps: DockerContainersDeps) {}

  async create(spec: ContainerSpec): Promise<string> {
    const docker = await this.deps.docker();
    const agentDir = this.agentDirFor(spec);
    const owner = ownerOf(spec.user);
    if (agentDir !== undefined && owner) prepareRunnerDir(agentDir, owner);
    try {
      for (const v of spec.volumes ?? []) await ensureVolume(docker, v.name, v.labels);
      const container = await docker.createContainer(toCreateOptions(spec, agentDir));
      this.deps.logger.debug({ container: container.id.slice(0, 12), name: spec.name }, 'container created');
      this.fresh.add(container.id);
      return container.id;
    } catch (err) {
      if (agentDir !== undefined) removeRunnerDir(agentDir);
      throw engineError(`creating container ${spec.name}`, err);
    }
  }

  async start(id: string): Promise<void> {
    const docker = await this.deps.docker();
    // an agent folder that went away (a new BERTH_HOME, a cleanup) is made again before the start
    // (one just created here has its folder: no need to ask the engine)
    if (!this.fresh.delete(id)) {
      const info = await this.inspectRaw(docker, id);
      const dir = info?.Config.Labels?.[AGENT_LABEL] ? this.deps.agentDir(nameOf(info.Name)) : undefined;
      const owner = ownerOf(info?.Config.User);
      if (dir !== undefined && owner && !existsSync(dir)) prepareRunnerDir(dir, owner);
    }
    try {
      await docker.getContainer(id).start();
    } catch (err) {
      if (statusOf(err) !== 304) throw engineError(`starting container ${id.slice(0, 12)}`, err);
    }
  }

  async stop(id: string, timeoutSeconds = 5): Promise<void> {
    const docker = await this.deps.docker();
    try {
      await docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (err) {
      const status = statusOf(err);
      if (status !== 304 && status !== 404) throw engineError(`stopping container ${id.slice(0, 12)}`, err);
    }
  }

  async remove(id: string): Promise<void> {
    const docker = await this.deps.docker();
    const info = await this.inspectRaw(docker, id);
    try {
      await docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = statusOf(err);
      // 404: already gone; 409: removal already in progress
      if (status !== 404 && status !== 409) throw engineError(`removing container ${id.slice(0, 12)}`, err);
    }
    this.deps.forget(id);
    this.fresh.delete(id);
    if (info?.Config.Labels?.[AGENT_LABEL]) {
      const dir = this.deps.agentDir(nameOf(info.Name));
      // the container could write it: removed without following what it planted
      if (dir !== undefined) removeRunnerDir(dir);
    }
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const c = await this.inspectRaw(await this.deps.docker(), id);
    if (!c) return undefined;
    const info: ContainerInfo = {
      id: c.Id,
      name: nameOf(c.Name),
      image: c.Config.Image,
      labels: c.Config.Labels ?? {},
      state: c.State.Status as ContainerState,
      health: c.State.Health?.Status ?? 'none',
      ipAddresses: addresses(c.NetworkSettings?.Networks),
      ports: inspectedPorts(c.NetworkSettings?.Ports),
    };
    if (c.State.Running && c.State.StartedAt) info.startedAt = new Date(c.State.StartedAt);
    if (c.State.OOMKilled) info.oomKilled = true;
    return info;
  }

  async list(labels: Labels): Promise<ContainerInfo[]> {
    const docker = await this.deps.docker();
    const list = await docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
    return list.map((c) => ({
      id: c.Id,
      name: nameOf(c.Names[0] ?? ''),
      image: c.Image,
      labels: c.Labels ?? {},
      state: c.State as ContainerState,
      health:
        /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? 'none',
      ipAddresses: addresses(c.NetworkSettings?.Networks),
      ports: listedPorts(c.Ports),
    }));
  }

  async wait(id: string, signal?: AbortSignal): Promise<void> {
    const docker = await this.deps.docker();
    try {
      await docker.getContainer(id).wait({ condition: 'not-running', abortSignal: signal });
    } catch (err) {
      if (signal?.aborted || statusOf(err) === 404) return;
      throw engineError(`waiting for container ${id.slice(0, 12)}`, err);
    }
  }

  async logs(id: string, options: LogOptions): Promise<void> {
    const container = (await this.deps.docker()).getContainer(id);
    const tail = options.tail !== undefined ? { tail: options.tail } : {};
    if (!options.follow) {
      const buffer = (await container.logs({
        stdout: true,
        stderr: true,
        follow: false,
        ...tail,
      })) as unknown as Buffer;
      const stream = Readable.from([buffer]);
      demux(stream, options.onStdout, options.onStderr);
      await new Promise((r) => stream.once('end', r));
      return;
    }
    const stream = (await container.logs({
      stdout: true,
      stderr: true,
      follow: true,
      ...tail,
    })) as unknown as Readable;
    demux(stream, options.onStdout, options.onStderr);
    await new Promise<void>((resolveLogs) => {
      options.signal?.addEventListener('abort', () => stream.destroy(), { once: true });
      stream.once('close', () => resolveLogs());
      stream.once('end', () => resolveLogs());
    });
  }

  async findService(
    project: string,
    service: string,
  ): Promise<{ containers: ContainerInfo[]; self: boolean }> {
    const all = await this.list(composeServiceLabels(project, service));
    return {
      containers: byReplica(all.filter((c) => c.id !== this.self)),
      self: all.some((c) => c.id === this.self),
    };
  }

  /** Where this spec's agent is served from, when it runs one here. */
  private agentDirFor(spec: ContainerSpec): string | undefined {
    if (!spec.agent || !agentWorksUnder(spec.isolation ?? 'standard')) return undefined;
    return this.deps.agentDir(spec.name);
  }

  private async inspectRaw(docker: Docker, id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await docker.getContainer(id).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw engineError(`inspecting container ${id.slice(0, 12)}`, err);
    }
  }
}

function nameOf(engineName: string): string {
  return engineName.replace(/^\//, '');
}

function addresses(networks: Record<string, { IPAddress: string }> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(networks ?? {})
      .filter(([, n]) => Boolean(n.IPAddress))
      .map(([name, n]) => [name, n.IPAddress]),
  );
}

/** Creates a named volume with berth's labels unless it exists (then it is left as it is). */
async function ensureVolume(docker: Docker, name: string, labels: Record<string, string>): Promise<void> {
  try {
    await docker.getVolume(name).inspect();
    return;
  } catch (err) {
    if (statusOf(err) !== 404) throw engineError(`inspecting volume ${name}`, err);
  }
  try {
    await docker.createVolume({ Name: name, Labels: labels });
  } catch (err) {
    // 409: made meanwhile by another call
    if (statusOf(err) !== 409) throw engineError(`creating volume ${name}`, err);
  }
}

function protocolOf(key: string | undefined): 'tcp' | 'udp' {
  return key === 'udp' ? 'udp' : 'tcp';
}

function inspectedPorts(
  ports: Record<string, { HostIp: string; HostPort: string }[] | null> | undefined,
): PortBinding[] {
  const out: PortBinding[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, protocol] = key.split('/');
    for (const b of bindings ?? []) {
      const hostPort = Number(b.HostPort);
      if (!hostPort) continue;
      out.push({ containerPort: Number(port), protocol: protocolOf(protocol), hostIp: b.HostIp, hostPort });
    }
  }
  return out;
}

function listedPorts(ports: Docker.Port[] | undefined): PortBinding[] {
  return (ports ?? [])
    .filter((p) => p.PublicPort !== undefined && p.PublicPort > 0)
    .map((p) => ({
      containerPort: p.PrivatePort,
      protocol: protocolOf(p.Type),
      hostIp: p.IP ?? '',
      hostPort: p.PublicPort,
    }));
}
