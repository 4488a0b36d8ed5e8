import type { Labels } from './container-runtime.js';

/**
 * `standard`: the engine's default (namespaces and cgroups). `strong`: a sandbox with its own
 * kernel between the container and the host, where the runtime has one (capabilities() says).
 */
export type IsolationLevel = 'standard' | 'strong';

export interface BindMount {
  source: string;
  target: string;
  readOnly?: boolean;
}

/** A container port reachable from the host. */
export interface PublishedPort {
  containerPort: number;
  /** Default tcp. */
  protocol?: 'tcp' | 'udp';
  /** The host port; 0 or unset: the engine picks a free one (ContainerInfo.ports says which). */
  hostPort?: number;
  /** The host address to bind; default 127.0.0.1 (loopback only). */
  hostIp?: string;
}

/** Where the host reaches a published port (from inspect or list). */
export interface PortBinding {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
}

/**
 * A named volume: created with `labels` when it does not exist yet, kept when the container is
 * removed (only an explicit volumes.remove deletes it), so data outlives a recreate.
 */
export interface VolumeMount {
  name: string;
  target: string;
  readOnly?: boolean;
  /** berth's labels for the volume (hub, project, role `volume`); set when it is created. */
  labels: Labels;
}

/** An in-memory folder, empty at every start. */
export interface TmpfsMount {
  target: string;
  /** Default: the engine's (half the memory limit on Linux). */
  sizeBytes?: number;
  /** Default 0o1777 (writable by every user, like /tmp). */
  mode?: number;
}

/** A command the engine runs in the container to judge its health (ContainerInfo.health). */
export interface HealthCheck {
  /** argv, run without a shell; exit 0 is healthy. */
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failures before `unhealthy`. */
  retries: number;
  /** Failures during this time after start do not count. */
  startPeriodMs: number;
}

/**
 * What a container is for, not how an engine spells it: each runtime maps this to its own
 * settings (see runtime/docker/container-options.ts). Build one with hardenedSpec().
 */
export interface ContainerSpec {
  name: string;
  image: string;
  /** The main process; with `agent` the runtime supplies it (and this stays unset). */
  cmd?: string[];
  labels: Labels;
  env: Record<string, string>;
  user?: string;
  workingDir?: string;
  hostname?: string;
  mounts: BindMount[];
  /** Named volumes (created on demand, never removed with the container). */
  volumes?: VolumeMount[];
  tmpfs?: TmpfsMount[];
  /** Ports published on the host (127.0.0.1 unless a spec says otherwise). */
  ports?: PublishedPort[];
  healthCheck?: HealthCheck;
  /** `none`, `bridge` (the engine's default), or the name of a network to join. */
  network: { mode: 'none' } | { mode: 'bridge' } | { mode: 'network'; name: string };
  security: { capDrop: string[]; capAdd: string[]; noNewPrivileges: boolean; readOnlyRootfs: boolean };
  resources: {
    /** CPUs (fractions allowed). */
    cpus: number;
    /** Memory, swap included. */
    memoryBytes: number;
    /** How many tasks (processes and threads) the workload may have. */
    pids: number;
    /** RLIMIT_NPROC for every process in the container, when it needs one of its own. */
    nproc?: number;
  };
  /** Comes back after an engine or host restart, until berth stops or removes it. */
  keepAlive: boolean;
  /** Run a tiny init as PID 1 that reaps orphans. */
  init: boolean;
  /**
   * Run berth's command agent as the main process: it stays alive (and stops promptly on TERM),
   * and lets the runtime run commands without the engine's per-exec set-up where it can.
   */
  agent?: boolean;
  /** Default `standard`. */
  isolation?: IsolationLevel;
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
  /** The published ports and the host ports they got (empty when none, or not running). */
  ports: PortBinding[];
}
