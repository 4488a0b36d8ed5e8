import { BerthError } from '../errors.js';
import { logLine } from '../exec/wait/strategies.js';
import type { WaitStrategy } from '../exec/wait/wait-strategy.js';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  Labels,
  ProgressFn,
  VolumeMount,
} from '../runtime/container-runtime.js';
import { hardenedSpec } from '../runtime/hardened-spec.js';
import { LABEL } from '../runtime/labels.js';
import type { WorkspacePlacement } from '../workspace/placement.js';
import { AGENT_MAIN, AGENT_NODE, ensureAgentImage } from './agent-image.js';

/**
 * What the side-car may do besides what every container may: it runs as root so that the files
 * it writes can be handed to the project's uid (CHOWN), whoever owns the folders they go in
 * (DAC_OVERRIDE, FOWNER). Nothing else: no network, a read-only root, small limits.
 */
const SIDECAR_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'];
const SIDECAR_LIMITS = { cpus: 1, memoryBytes: 512 * 1024 * 1024, pids: 64 };

export interface SidecarSpecInput {
  /** The container's name (one side-car per synced workspace). */
  name: string;
  /** The agent's image (ensureAgentImage's tag). */
  image: string;
  /** The workspace's named volume, mounted where the project's containers mount it. */
  volume: VolumeMount;
  placement: WorkspacePlacement;
  /** The project's labels (hub, project); the role is set to `sync` here. */
  labels: Labels;
  /** Comes back after an engine restart, like the project's own container (default false). */
  keepAlive?: boolean;
}

/** The side-car's container: berth's agent image on the workspace's volume, and nothing else. */
export function sidecarSpec(input: SidecarSpecInput): ContainerSpec {
  const { placement, volume } = input;
  if (
    (placement.volume !== undefined && placement.volume !== volume.name) ||
    volume.target !== placement.containerRoot
  )
    throw new BerthError(
      'INVALID_ARGUMENT',
      `the side-car's volume ${volume.name} at ${volume.target} is not the workspace's (${placement.volume ?? 'none'} at ${placement.containerRoot})`,
    );
  return hardenedSpec({
    name: input.name,
    image: input.image,
    labels: { ...input.labels, [LABEL.role]: 'sync' },
    limits: SIDECAR_LIMITS,
    user: '0:0',
    volumes: [volume],
    cmd: [AGENT_NODE, AGENT_MAIN, 'idle'],
    capAdd: SIDECAR_CAPS,
    readOnlyRootfs: true,
    keepAlive: input.keepAlive ?? false,
  });
}

/** The side-car is up once its idle process says so (node and its libraries loaded). */
export function sidecarReady(): WaitStrategy {
  return logLine(/berth sync agent: ready/);
}

export interface SidecarOptions extends Omit<SidecarSpecInput, 'image'> {
  onProgress?: ProgressFn;
}

export interface Sidecar {
  id: string;
  image: string;
  /** False when a side-car on the same image was reused (started again if it was stopped). */
  created: boolean;
}

/**
 * The sync side-car of one workspace, running: a container of berth's own image (agent-image.ts)
 * that shares the workspace's volume, whatever the project's image holds. A running one on the
 * current image is reused; a stopped one is started; one on an older image is replaced.
 * (A hub's units create theirs from sidecarSpec; this is the same for callers without one.)
 */
export async function ensureSidecar(runtime: ContainerRuntime, options: SidecarOptions): Promise<Sidecar> {
  const image = await ensureAgentImage(runtime, {
    labels: { ...options.labels, [LABEL.role]: 'image' },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const spec = sidecarSpec({ ...options, image: image.tag });
  const existing = await findSidecar(runtime, options.name);
  if (existing && existing.image === image.tag) {
    if (existing.state !== 'running') await runtime.containers.start(existing.id);
    return { id: existing.id, image: image.tag, created: false };
  }
  if (existing) await runtime.containers.remove(existing.id);
  const id = await runtime.containers.create(spec);
  await runtime.containers.start(id);
  return { id, image: image.tag, created: true };
}

/** The side-car by name, whatever its state; undefined when there is none. */
export async function findSidecar(
  runtime: ContainerRuntime,
  name: string,
): Promise<ContainerInfo | undefined> {
  const info = await runtime.containers.inspect(name);
  if (info && info.labels[LABEL.role] !== 'sync')
    throw new BerthError(
      'ALREADY_EXISTS',
      `a container named ${name} exists and is not a berth sync side-car`,
      {
        container: info.id.slice(0, 12),
      },
    );
  return info;
}

/** Removes the side-car (never the volume). Idempotent. */
export async function removeSidecar(runtime: ContainerRuntime, name: string): Promise<void> {
  const info = await findSidecar(runtime, name);
  if (info) await runtime.containers.remove(info.id);
}
