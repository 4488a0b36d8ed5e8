import { Readable, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError, describeError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type {
  AttachedProcess,
  AttachOptions,
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  EngineInfo,
  ImageBuildSpec,
  ImageInfo,
  Labels,
  LogOptions,
  NetworkInfo,
  NetworkSpec,
  ProgressFn,
  RawExecOptions,
  RawExecResult,
} from '../container-runtime.js';
import { listFolder } from '../../workspace/path-ops.js';
import { toCreateOptions } from './container-options.js';
import { demux } from './demux.js';
import { flowGate } from '../flow-gate.js';
import { defaultStrategies, discoverEngine, type EngineStrategy } from './engine-discovery.js';

/** ContainerRuntime over the Docker Engine API (also answers for Podman's compatible socket). */
export class DockerRuntime implements ContainerRuntime {
  readonly name = 'docker';
  private engine?: Promise<{ docker: Docker; endpoint: string }>;

  constructor(
    private readonly logger: Logger,
    private readonly strategies: EngineStrategy[] = defaultStrategies(),
  ) {}

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
    return { endpoint, version: version.Version, apiVersion: version.ApiVersion, runtimes };
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    const docker = await this.docker();
    try {
      const info = await docker.getImage(ref).inspect();
      const user = info.Config?.User;
      return user ? { id: info.Id, user } : { id: info.Id };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw engineError(`inspecting image ${ref}`, err);
    }
  }

  async pullImage(ref: string, onProgress?: ProgressFn): Promise<void> {
    const docker = await this.docker();
    const stream = (await docker.pull(ref)) as Readable;
    await new Promise<void>((resolvePull, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolvePull()),
        (event: { status?: string; progress?: string; id?: string; error?: string }) => {
          if (event.error) return;
          if (onProgress && event.status)
            onProgress([event.id, event.status, event.progress].filter(Boolean).join(' '));
        },
      );
    });
  }

  async buildImage(spec: ImageBuildSpec, onProgress?: ProgressFn): Promise<ImageInfo> {
    const docker = await this.docker();
    let stream: Readable;
    try {
      stream = (await docker.buildImage(
        { context: spec.context, src: listFolder(spec.context) },
        { t: spec.tag, dockerfile: spec.dockerfile, labels: spec.labels, buildargs: spec.args, rm: true },
      )) as Readable;
    } catch (err) {
      throw new BerthError('BUILD_FAILED', `building ${spec.tag} failed: ${describeError(err)}`, {
        tag: spec.tag,
      });
    }
    const failure = await new Promise<string | undefined>((resolveBuild) => {
      let error: string | undefined;
      docker.modem.followProgress(
        stream,
        (err: Error | null) => resolveBuild(err ? describeError(err) : error),
        (event: { stream?: string; error?: string }) => {
          if (event.error) error = event.error.trim();
          const line = event.stream?.trimEnd();
          if (line && onProgress) onProgress(line);
        },
      );
    });
    if (failure)
      throw new BerthError('BUILD_FAILED', `building ${spec.tag} failed: ${failure}`, { tag: spec.tag });
    const image = await this.inspectImage(spec.tag);
    if (!image)
      throw new BerthError('BUILD_FAILED', `building ${spec.tag} produced no image`, { tag: spec.tag });
    return image;
  }

  async createNetwork(spec: NetworkSpec): Promise<NetworkInfo> {
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

  async listNetworks(labels: Labels): Promise<NetworkInfo[]> {
    const docker = await this.docker();
    const list = await docker.listNetworks({ filters: { label: labelFilter(labels) } });
    return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  async removeNetwork(id: string): Promise<void> {
    const docker = await this.docker();
    try {
      await docker.getNetwork(id).remove();
    } catch (err) {
      if (statusOf(err) !== 404) throw engineError(`removing network ${id}`, err);
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const docker = await this.docker();
    try {
      const container = await docker.createContainer(toCreateOptions(spec));
      this.logger.debug({ container: container.id.slice(0, 12), name: spec.name }, 'container created');
      return container.id;
    } catch (err) {
      throw engineError(`creating container ${spec.name}`, err);
    }
  }

  async startContainer(id: string): Promise<void> {
    const docker = await this.docker();
    try {
      await docker.getContainer(id).start();
    } catch (err) {
      if (statusOf(err) !== 304) throw engineError(`starting container ${id.slice(0, 12)}`, err);
    }
  }

  async stopContainer(id: string, timeoutSeconds = 5): Promise<void> {
    const docker = await this.docker();
    try {
      await docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (err) {
      const status = statusOf(err);
      if (status !== 304 && status !== 404) throw engineError(`stopping container ${id.slice(0, 12)}`, err);
    }
  }

  async removeContainer(id: string): Promise<void> {
    const docker = await this.docker();
    try {
      await docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = statusOf(err);
      // 404: already gone; 409: removal already in progress
      if (status !== 404 && status !== 409) throw engineError(`removing container ${id.slice(0, 12)}`, err);
    }
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    const docker = await this.docker();
    try {
      const c = await docker.getContainer(id).inspect();
      const networks = c.NetworkSettings?.Networks ?? {};
      const info: ContainerInfo = {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        labels: c.Config.Labels ?? {},
        state: c.State.Status as ContainerState,
        health: c.State.Health?.Status ?? 'none',
        ipAddresses: Object.fromEntries(
          Object.entries(networks)
            .filter(([, n]) => Boolean(n.IPAddress))
            .map(([name, n]) => [name, n.IPAddress]),
        ),
      };
      if (c.State.Running && c.State.StartedAt) info.startedAt = new Date(c.State.StartedAt);
      if (c.State.OOMKilled) info.oomKilled = true;
      return info;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw engineError(`inspecting container ${id.slice(0, 12)}`, err);
    }
  }

  async listContainers(labels: Labels): Promise<ContainerInfo[]> {
    const docker = await this.docker();
    const list = await docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      image: c.Image,
      labels: c.Labels ?? {},
      state: c.State as ContainerState,
      health:
        /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? 'none',
      ipAddresses: Object.fromEntries(
        Object.entries(c.NetworkSettings?.Networks ?? {})
          .filter(([, n]) => Boolean(n.IPAddress))
          .map(([name, n]) => [name, n.IPAddress]),
      ),
    }));
  }

  async waitContainer(id: string, signal?: AbortSignal): Promise<void> {
    const docker = await this.docker();
    try {
      await docker.getContainer(id).wait({ condition: 'not-running', abortSignal: signal });
    } catch (err) {
      if (signal?.aborted || statusOf(err) === 404) return;
      throw engineError(`waiting for container ${id.slice(0, 12)}`, err);
    }
  }

  async countOomKills(id: string, since: Date): Promise<number> {
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

  async exec(id: string, options: RawExecOptions): Promise<RawExecResult> {
    const docker = await this.docker();
    const createOptions: Docker.ExecCreateOptions = {
      Cmd: options.cmd,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    };
    if (options.workingDir !== undefined) createOptions.WorkingDir = options.workingDir;
    if (options.user !== undefined) createOptions.User = options.user;
    const { exec, stream } = await startExec(docker, id, createOptions, 'starting exec');
    const gate = flowGate(stream, options.drain);
    demux(stream, gate(options.onStdout), gate(options.onStderr));
    const detached = await new Promise<boolean>((resolveStream) => {
      const onAbort = () => {
        stream.destroy();
        resolveStream(true);
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        options.signal?.removeEventListener('abort', onAbort);
        resolveStream(false);
      };
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', done);
    });
    if (detached) return { exitCode: undefined };
    // The stream can close a moment before the engine records the exit code.
    for (let attempt = 0; attempt < 50; attempt++) {
      const state = await exec.inspect();
      if (!state.Running && state.ExitCode !== null) return { exitCode: state.ExitCode };
      await sleep(attempt < 10 ? 5 : 20);
    }
    return { exitCode: undefined };
  }

  async attach(id: string, options: AttachOptions): Promise<AttachedProcess> {
    const docker = await this.docker();
    const createOptions: Docker.ExecCreateOptions = {
      Cmd: options.cmd,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    };
    const { stream } = await startExec(docker, id, createOptions, 'starting an attached exec');
    demux(stream, options.onStdout, options.onStderr);
    let closed = false;
    const onClose = () => {
      if (closed) return;
      closed = true;
      options.onClose();
    };
    stream.once('end', onClose);
    stream.once('close', onClose);
    stream.once('error', onClose);
    return {
      write: (data) => {
        if (!closed) stream.write(data);
      },
      close: () => stream.destroy(),
      pause: () => stream.pause(),
      resume: () => stream.resume(),
    };
  }

  async logs(id: string, options: LogOptions): Promise<void> {
    const docker = await this.docker();
    const container = docker.getContainer(id);
    if (!options.follow) {
      const buffer = (await container.logs({
        stdout: true,
        stderr: true,
        follow: false,
        ...(options.tail !== undefined ? { tail: options.tail } : {}),
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
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
    })) as unknown as Readable;
    demux(stream, options.onStdout, options.onStderr);
    await new Promise<void>((resolveLogs) => {
      options.signal?.addEventListener('abort', () => stream.destroy(), { once: true });
      stream.once('close', () => resolveLogs());
      stream.once('end', () => resolveLogs());
    });
  }

  async putArchive(id: string, path: string, tar: Readable): Promise<void> {
    const docker = await this.docker();
    await docker.getContainer(id).putArchive(tar, { path });
  }

  async getArchive(id: string, path: string): Promise<Readable> {
    const docker = await this.docker();
    return (await docker.getContainer(id).getArchive({ path })) as Readable;
  }
}

/** Creates and starts an exec with its streams hijacked (stdin too when the options attach it). */
async function startExec(
  docker: Docker,
  id: string,
  createOptions: Docker.ExecCreateOptions,
  action: string,
): Promise<{ exec: Docker.Exec; stream: Duplex }> {
  try {
    const exec = await docker.getContainer(id).exec(createOptions);
    const stdin = createOptions.AttachStdin === true;
    const stream = (await exec.start({ hijack: true, stdin, Detach: false, Tty: false })) as Duplex;
    return { exec, stream };
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 || status === 409)
      throw new BerthError('NOT_RUNNING', `the container is not running (${describeError(err)})`, {
        container: id.slice(0, 12),
      });
    throw engineError(action, err);
  }
}

function labelFilter(labels: Labels): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function engineError(action: string, err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  return new BerthError('ENGINE_ERROR', `the engine refused ${action}: ${describeError(err)}`, {
    status: statusOf(err),
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
