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
}
