import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../../logger.js';
import type { RuntimeCapabilities } from '../capabilities.js';
import type {
  ContainerRuntime,
  EngineInfo,
  Labels,
  NetworkInfo,
  NetworkSpec,
  RuntimeEvents,
  RuntimeFiles,
  RuntimeNetworks,
  RuntimeVolumes,
} from '../container-runtime.js';
import { DockerContainers } from './docker-containers.js';
import { DockerImages } from './docker-images.js';
import { engineError, labelFilter, statusOf } from './engine-call.js';
import {
  defaultStrategies,
  type DiscoveredEngine,
  discoverEngine,
  explicitEngineHost,
  type EngineStrategy,
} from './engine-discovery.js';
import { DockerExec } from './exec-transport.js';
import { dockerIsolationOffers } from './gvisor.js';
import { isSshHost } from './ssh-endpoint.js';

export interface DockerRuntimeOptions {
  /** Where to look for the engine, in order (default: DOCKER_HOST, the sockets, Podman's). */
  strategies?: EngineStrategy[];
  /** The environment (default process.env): an explicit DOCKER_HOST there must answer. */
  env?: NodeJS.ProcessEnv;
  /**
   * Host folder for the agents of the containers this runtime creates (one folder per
   * container, bind-mounted into it). Without it containers run no agent and every command is
   * an engine exec. Ignored for an engine on another machine (DOCKER_HOST=ssh://…), which
   * cannot mount a folder of this one.
   */
  agentRoot?: string;
}

/** ContainerRuntime over the Docker Engine API (also answers for Podman's compatible socket). */
export class DockerRuntime implements ContainerRuntime {
  readonly name = 'docker';
  readonly containers: DockerContainers;
  readonly exec: DockerExec;
  readonly images: DockerImages;
  readonly networks: RuntimeNetworks;
  readonly volumes: RuntimeVolumes;
  readonly files: RuntimeFiles;
  readonly events: RuntimeEvents;
  private engine?: Promise<DiscoveredEngine>;
  private described?: Promise<RuntimeCapabilities>;
  private readonly strategies: EngineStrategy[];
  private readonly agentRoot: string | undefined;
  /** The engine runs on another machine: no folder of this one is seen by its containers. */
  private readonly remote: boolean;

  constructor(
    private readonly logger: Logger,
    options: DockerRuntimeOptions = {},
  ) {
    const env = options.env ?? process.env;
    this.strategies = options.strategies ?? defaultStrategies(env);
    this.remote = isSshHost(explicitEngineHost(env));
    // the agent's FIFOs live in a host folder bind-mounted into the container: not over ssh
    this.agentRoot = this.remote ? undefined : options.agentRoot;
    const docker = () => this.docker();
    this.exec = new DockerExec({
      docker,
      inspect: (id) => this.containers.inspect(id),
      logger,
      agentRoot: this.agentRoot,
      explicitEngine: explicitEngineHost(env) !== undefined,
    });
    this.containers = new DockerContainers({
      docker,
      logger,
      agentDir: (name) => this.exec.agentDir(name),
      forget: (id) => this.exec.forget(id),
    });
    this.images = new DockerImages(docker);
    this.networks = {
      create: (spec) => this.createNetwork(spec),
      list: (labels) => this.listNetworks(labels),
      remove: (id) => this.removeNetwork(id),
    };
    this.volumes = {
      list: async (labels) => {
        const { Volumes } = await (
          await this.docker()
        ).listVolumes({ filters: { label: labelFilter(labels) } });
        return (Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
      },
      remove: async (name) => {
        try {
          await (await this.docker()).getVolume(name).remove();
        } catch (err) {
          if (statusOf(err) !== 404) throw engineError(`removing volume ${name}`, err);
        }
      },
    };
    this.files = {
      put: async (id: string, path: string, tar: Readable) => {
        await (await this.docker()).getContainer(id).putArchive(tar, { path });
      },
      get: async (id: string, path: string) =>
        (await (await this.docker()).getContainer(id).getArchive({ path })) as Readable,
    };
    this.events = { countOomKills: (id, since) => this.countOomKills(id, since) };
  }

  /** Discovers the engine once; the winner is cached, a failure is not. */
  private async docker(): Promise<Docker> {
    if (!this.engine) {
      this.engine = discoverEngine(this.strategies, this.logger);
      this.engine.catch(() => (this.engine = undefined));
    }
    return (await this.engine).docker;
  }

  async ping(): Promise<EngineInfo> {
    const docker = await this.docker();
    const endpoint = (await this.engine)?.endpoint ?? 'unknown';
    const [version, info] = await Promise.all([
      docker.version(),
      docker.info() as Promise<Record<string, unknown>>,
    ]);
    const runtimes = Object.keys((info.Runtimes as Record<string, unknown> | undefined) ?? {});
    const engine: EngineInfo = {
      endpoint,
      version: version.Version,
      apiVersion: version.ApiVersion,
      runtimes,
    };
    if (typeof version.Arch === 'string' && version.Arch !== '') engine.arch = version.Arch;
    return engine;
  }

  capabilities(): Promise<RuntimeCapabilities> {
    if (!this.described) {
      this.described = this.ping().then((engine) => ({
        sharedHostFs: !this.remote,
        stopStart: true,
        build: true,
        networks: true,
        agent: this.agentRoot !== undefined,
        nativeKill: false,
        isolationLevels: dockerIsolationOffers(engine.runtimes),
      }));
      this.described.catch(() => (this.described = undefined));
    }
    return this.described;
  }

  close(): void {
    this.exec.close();
    // an engine still being found is closed once found; one used after this is found again
    const engine = this.engine;
    this.engine = undefined;
    engine?.then(
      (found) => found.close(),
      () => undefined,
    );
  }

  private async createNetwork(spec: NetworkSpec): Promise<NetworkInfo> {
    const docker = await this.docker();
    try {
      const network = await docker.createNetwork({
        Name: spec.name,
        Labels: spec.labels,
        Internal: spec.internal ?? false,
        CheckDuplicate: true,
        Driver: 'bridge',
      });
      return { id: network.id, name: spec.name, labels: spec.labels };
    } catch (err) {
      throw engineError(`creating network ${spec.name}`, err);
    }
  }

  private async listNetworks(labels: Labels): Promise<NetworkInfo[]> {
    const docker = await this.docker();
    const list = await docker.listNetworks({ filters: { label: labelFilter(labels) } });
    return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  private async removeNetwork(id: string): Promise<void> {
    const docker = await this.docker();
    try {
      await docker.getNetwork(id).remove();
    } catch (err) {
      if (statusOf(err) !== 404) throw engineError(`removing network ${id}`, err);
    }
  }

  private async countOomKills(id: string, since: Date): Promise<number> {
    const docker = await this.docker();
    // With `until`, the engine answers from its event buffer and closes the stream at that
    // time. The event can trail the exit it caused by a moment, so `until` is at least a second
    // ahead (whole seconds only).
    const stream = (await docker.getEvents({
      since: Math.floor(since.getTime() / 1000),
      until: Math.ceil(Date.now() / 1000) + 1,
      filters: { container: [id], event: ['oom'] },
    })) as unknown as Readable;
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    return text.split('\n').filter((line) => line.includes('"oom"')).length;
  }
}
