import type { Readable } from 'node:stream';

/** The only door to a container engine. Everything above `runtime/` goes through this. */
export interface ContainerRuntime {
  readonly name: string;
  /** Throws ENGINE_UNREACHABLE with advice when the engine does not answer. */
  ping(): Promise<EngineInfo>;

  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  pullImage(ref: string, onProgress?: ProgressFn): Promise<void>;
  buildImage(spec: ImageBuildSpec, onProgress?: ProgressFn): Promise<ImageInfo>;

  createNetwork(spec: NetworkSpec): Promise<NetworkInfo>;
  listNetworks(labels: Labels): Promise<NetworkInfo[]>;
  /** Idempotent: a network that is already gone is not an error. */
  removeNetwork(id: string): Promise<void>;

  createContainer(spec: ContainerSpec): Promise<string>;
  /** Idempotent: starting a running container is not an error. */
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  /** Idempotent: removing a missing container is not an error. Forces removal of running ones. */
  removeContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerInfo | undefined>;
  listContainers(labels: Labels): Promise<ContainerInfo[]>;
  /** Resolves once the container is not running (at once if it is not); aborting stops waiting. */
  waitContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** How many times the kernel killed a process of this container for memory since `since`. */
  countOomKills(id: string, since: Date): Promise<number>;

  /** Runs argv in a running container; never throws for a non-zero exit. */
  exec(id: string, options: RawExecOptions): Promise<RawExecResult>;
  /** Starts a long-lived process with stdin attached (a shell to feed commands to). */
  attach(id: string, options: AttachOptions): Promise<AttachedProcess>;
  logs(id: string, options: LogOptions): Promise<void>;

  putArchive(id: string, path: string, tar: Readable): Promise<void>;
  getArchive(id: string, path: string): Promise<Readable>;
}

export type Labels = Record<string, string>;
export type ProgressFn = (line: string) => void;

export interface EngineInfo {
  endpoint: string;
  version: string;
  apiVersion: string;
  runtimes: string[];
}

export interface ImageInfo {
  id: string;
  user?: string;
}

export interface ImageBuildSpec {
  context: string;
  dockerfile: string;
  tag: string;
  labels: Labels;
  args: Record<string, string>;
}

export interface NetworkSpec {
  name: string;
  labels: Labels;
  internal?: boolean;
}

export interface NetworkInfo {
  id: string;
  name: string;
  labels: Labels;
}

export interface BindMount {
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface ContainerSpec {
  name: string;
  image: string;
  cmd: string[];
  labels: Labels;
  env: Record<string, string>;
  user?: string;
  workingDir?: string;
  hostname?: string;
  mounts: BindMount[];
  /** `none`, `bridge` (the engine's default), or the name of a network to join. */
  network: { mode: 'none' } | { mode: 'bridge' } | { mode: 'network'; name: string };
  security: { capDrop: string[]; capAdd: string[]; noNewPrivileges: boolean; readOnlyRootfs: boolean };
  resources: {
    nanoCpus: number;
    memoryBytes: number;
    pidsLimit: number;
    /** RLIMIT_NPROC for every process in the container (gVisor enforces it per sandbox). */
    nproc?: number;
  };
  restart: 'no' | 'unless-stopped';
  /** Run a tiny init as PID 1 that reaps orphans. */
  init: boolean;
  /** OCI runtime, e.g. `runsc` for gVisor; engine default when undefined. */
  runtime?: string;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  labels: Labels;
  state: ContainerState;
  /** healthy | unhealthy | starting, or `none` when the image defines no health check. */
  health: string;
  startedAt?: Date;
  /** Set by inspect: the container stopped because it ran out of memory. */
  oomKilled?: boolean;
  /** network name → IPv4 address */
  ipAddresses: Record<string, string>;
}

export interface RawExecOptions {
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
  /** Returning false asks for a pause: the stream stops until `drain` resolves. */
  onStdout?: (chunk: Buffer) => boolean | void;
  onStderr?: (chunk: Buffer) => boolean | void;
  /** Resolves when the consumer can take more; without it, output is never paused. */
  drain?: () => Promise<void>;
  /** Aborting detaches the client: the stream is closed; the process may live on. */
  signal?: AbortSignal;
}

export interface AttachOptions {
  cmd: string[];
  env?: Record<string, string>;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
  /** Called once when the stream ends, for whatever reason. */
  onClose: () => void;
}

export interface AttachedProcess {
  write(data: string): void;
  /** Closes the connection; the process sees EOF on stdin. */
  close(): void;
  /** Stops reading its output (the process blocks once the pipe is full), then goes on. */
  pause(): void;
  resume(): void;
}

export interface RawExecResult {
  /** undefined when the client detached before the process ended. */
  exitCode: number | undefined;
}

export interface LogOptions {
  follow: boolean;
  tail?: number;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
  signal?: AbortSignal;
}
