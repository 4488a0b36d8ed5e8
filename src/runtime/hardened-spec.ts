import type {
  BindMount,
  ContainerSpec,
  HealthCheck,
  IsolationLevel,
  PublishedPort,
  TmpfsMount,
  VolumeMount,
} from './container-spec.js';
import type { Labels } from './container-runtime.js';

/** Limits as berth's config and options state them. */
export interface Limits {
  cpus: number;
  memoryBytes: number;
  pids: number;
  /** RLIMIT_NPROC of its own (rarely needed: the runtime sets one where the isolation needs it). */
  nproc?: number;
}

export interface HardenedSpecInput {
  name: string;
  image: string;
  labels: Labels;
  limits: Limits;
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  hostname?: string;
  mounts?: BindMount[];
  volumes?: VolumeMount[];
  tmpfs?: TmpfsMount[];
  /** Published on 127.0.0.1 unless a port names another host address. */
  ports?: PublishedPort[];
  healthCheck?: HealthCheck;
  /** Default: no network at all. */
  network?: ContainerSpec['network'];
  /** The main process, unless `agent` (then the runtime supplies it). */
  cmd?: string[];
  agent?: boolean;
  isolation?: IsolationLevel;
  keepAlive?: boolean;
  /** Default true: a tiny init reaps orphans. */
  init?: boolean;
  /**
   * The few capabilities a container of berth's own needs back (the sync side-car hands files
   * to the project's uid: CHOWN, DAC_OVERRIDE, FOWNER); never for a project's own image.
   */
  capAdd?: string[];
  /** Default false: the root filesystem is writable. */
  readOnlyRootfs?: boolean;
}

/**
 * The one template every container berth creates is built from (project containers, session
 * sandboxes, tests, the bench): no capabilities, no privilege gain, an init, the limits given.
 * Callers state what the container is for; the security block is not theirs to choose.
 */
export function hardenedSpec(input: HardenedSpecInput): ContainerSpec {
  const { limits } = input;
  const spec: ContainerSpec = {
    name: input.name,
    image: input.image,
    labels: input.labels,
    env: input.env ?? {},
    mounts: input.mounts ?? [],
    network: input.network ?? { mode: 'none' },
    security: {
      capDrop: ['ALL'],
      capAdd: input.capAdd ?? [],
      noNewPrivileges: true,
      readOnlyRootfs: input.readOnlyRootfs ?? false,
    },
    resources: {
      cpus: limits.cpus,
      memoryBytes: limits.memoryBytes,
      pids: limits.pids,
      ...(limits.nproc !== undefined ? { nproc: limits.nproc } : {}),
    },
    keepAlive: input.keepAlive ?? false,
    init: input.init ?? true,
  };
  if (input.cmd !== undefined) spec.cmd = input.cmd;
  if (input.user !== undefined) spec.user = input.user;
  if (input.workingDir !== undefined) spec.workingDir = input.workingDir;
  if (input.hostname !== undefined) spec.hostname = input.hostname;
  // set only when given: a spec without them hashes as it did before they existed
  if (input.volumes?.length) spec.volumes = input.volumes;
  if (input.tmpfs?.length) spec.tmpfs = input.tmpfs;
  if (input.ports?.length) spec.ports = input.ports;
  if (input.healthCheck !== undefined) spec.healthCheck = input.healthCheck;
  if (input.agent) spec.agent = true;
  if (input.isolation !== undefined && input.isolation !== 'standard') spec.isolation = input.isolation;
  return spec;
}
