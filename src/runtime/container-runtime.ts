import type { Readable } from 'node:stream';
import type { RuntimeCapabilities } from './capabilities.js';
import type { ContainerInfo, ContainerSpec } from './container-spec.js';

export type {
  ContainerInfo,
  ContainerSpec,
  ContainerState,
  BindMount,
  HealthCheck,
  IsolationLevel,
  PortBinding,
  PublishedPort,
  TmpfsMount,
  VolumeMount,
} from './container-spec.js';
export type { RuntimeCapabilities } from './capabilities.js';

/**
 * The only door to a container engine. Everything above `runtime/` goes through this. It is
 * split by capability: every runtime has `containers` and `exec`; `images`, `networks`, `volumes`,
 * `files` and `events` are there on every runtime too, but one that cannot do them answers with a
 * null object that says why (see capabilities.ts), so callers ask `capabilities()` instead of
 * testing for methods.
 */
export interface ContainerRuntime {
  readonly name: string;
  /** Throws ENGINE_UNREACHABLE with advice when the engine does not answer. */
  ping(): Promise<EngineInfo>;
  /** What this runtime can do here; asks the engine once (isolation depends on it). */
  capabilities(): Promise<RuntimeCapabilities>;
  readonly containers: RuntimeContainers;
  readonly exec: RuntimeExec;
  readonly images: RuntimeImages;
  readonly networks: RuntimeNetworks;
  readonly volumes: RuntimeVolumes;
  readonly files: RuntimeFiles;
  readonly events: RuntimeEvents;
  /** Ends what the runtime keeps open between commands (pooled shells). */
  close(): void;
}

export interface RuntimeContainers {
  /**
   * Creates a container from an intent (see ContainerSpec): the runtime maps isolation, limits,
   * keep-alive and the agent to its own settings.
   */
  create(spec: ContainerSpec): Promise<string>;
  /** Idempotent: starting a running container is not an error. */
  start(id: string): Promise<void>;
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  /** Idempotent: removing a missing container is not an error. Forces removal of running ones. */
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  list(labels: Labels): Promise<ContainerInfo[]>;
  /** Resolves once the container is not running (at once if it is not); aborting stops waiting. */
  wait(id: string, signal?: AbortSignal): Promise<void>;
  logs(id: string, options: LogOptions): Promise<void>;
  /**
   * The containers of a service that berth did not create (a Compose service), first replica
   * first; the container this process runs in is left out and reported as `self`.
   */
  findService(project: string, service: string): Promise<{ containers: ContainerInfo[]; self: boolean }>;
}

/** Which container a command runs in. */
export interface ExecTarget {
  /**
   * The container's id, or how to find it: looked up only when the runtime's fast path cannot
   * take the command (a lookup throws NOT_RUNNING when there is no running container).
   */
  id: string | (() => Promise<string>);
  /** The name berth created it with (its spec's `name`): how the runtime finds its agent. */
  name?: string;
  /** A container berth did not create (a Compose service). */
  foreign?: boolean;
}

export interface RuntimeExec {
  /**
   * Runs argv in a running container by the fastest way this runtime has into it; never throws
   * for a non-zero exit. NOT_RUNNING when the container is not running.
   */
  run(target: ExecTarget, options: RawExecOptions): Promise<RawExecResult>;
  /**
   * Ends every process whose environment carries `EXEC_MARKER_ENV=<marker>` (see kill-tree.ts),
   * children that started their own session included. True when it was done; throws when the
   * engine cannot be reached.
   */
  kill(target: ExecTarget, marker: string, options?: KillOptions): Promise<boolean>;
  /** Starts a long-lived process with stdin attached (a shell to feed commands to). */
  attach(id: string, options: AttachOptions): Promise<AttachedProcess>;
}

export interface KillOptions {
  user?: string;
  /** Stop waiting after this long and report failure (the caller has a bigger hammer). */
  deadlineMs?: number;
}

export interface RuntimeImages {
  inspect(ref: string): Promise<ImageInfo | undefined>;
  pull(ref: string, onProgress?: ProgressFn): Promise<void>;
  build(spec: ImageBuildSpec, onProgress?: ProgressFn): Promise<ImageInfo>;
}

export interface RuntimeNetworks {
  create(spec: NetworkSpec): Promise<NetworkInfo>;
  list(labels: Labels): Promise<NetworkInfo[]>;
  /** Idempotent: a network that is already gone is not an error. */
  remove(id: string): Promise<void>;
}

/**
 * Named volumes. A container spec's volumes are created on demand by containers.create; they are
 * removed only here, when asked (never with their container).
 */
export interface RuntimeVolumes {
  list(labels: Labels): Promise<VolumeInfo[]>;
  /** Idempotent: a volume that is already gone is not an error. */
  remove(name: string): Promise<void>;
}

export interface VolumeInfo {
  name: string;
  labels: Labels;
}

export interface RuntimeFiles {
  put(id: string, path: string, tar: Readable): Promise<void>;
  get(id: string, path: string): Promise<Readable>;
}

export interface RuntimeEvents {
  /** How many times the kernel killed a process of this container for memory since `since`. */
  countOomKills(id: string, since: Date): Promise<number>;
}

export type Labels = Record<string, string>;
export type ProgressFn = (line: string) => void;

export interface EngineInfo {
  endpoint: string;
  version: string;
  apiVersion: string;
  /** The engine's own runtime names (facts for people; choose isolation via capabilities()). */
  runtimes: string[];
  /** The engine's CPU architecture in Go's spelling (`amd64`, `arm64`), when it says. */
  arch?: string;
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
  /**
   * The context's files, as paths relative to it (nested ones too); without it, the files
   * directly in the context folder.
   */
  files?: string[];
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

/** Where a command's output goes: the sink every transport feeds (see exec-stream.ts). */
export interface OutputSink {
  /** Returning false asks for a pause: the stream stops until `drain` resolves. */
  onStdout?: (chunk: Buffer) => boolean | void;
  onStderr?: (chunk: Buffer) => boolean | void;
  /** Resolves when the consumer can take more; without it, output is never paused. */
  drain?: () => Promise<void>;
  /** Aborting detaches the client: the stream is closed; the process may live on. */
  signal?: AbortSignal;
}

export interface RawExecOptions extends OutputSink {
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
}

export interface AttachOptions {
  cmd: string[];
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
  /** Called once when the stream ends, for whatever reason. */
  onClose: () => void;
}

export interface AttachedProcess {
  /** False when the buffer towards the process is full (wait for `drained`) or it is closed. */
  write(data: string | Buffer): boolean;
  /** Resolves once the process can take more input (at once when it can, or when it is gone). */
  drained(): Promise<void>;
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
