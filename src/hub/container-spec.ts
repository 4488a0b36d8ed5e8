import { createHash } from 'node:crypto';
import type { ProjectConfig } from '../config/types.js';
import type { ContainerSpec, VolumeMount } from '../runtime/container-runtime.js';
import { hardenedSpec } from '../runtime/hardened-spec.js';
import { hubLabels, LABEL } from '../runtime/labels.js';
import { WorkspacePlacement } from '../workspace/placement.js';
import { memberName, memberVolume } from './unit-role.js';

export interface FolderOwner {
  uid: number;
  gid: number;
}

/**
 * The project folder as the bind mount sees it: its owner, and which folder it is (device and
 * inode). A mount holds the folder it was made with: one moved away and recreated under the same
 * path is another folder, so the container must be made again.
 */
export interface ProjectFolder extends FolderOwner {
  dev: string;
  ino: string;
}

/** Where a project's files are: its folder bind-mounted, or (`workspace: sync`) its volume. */
export function projectPlacement(hubId: string, project: ProjectConfig): WorkspacePlacement {
  if (project.workspace !== 'sync') return WorkspacePlacement.forProject(project);
  return WorkspacePlacement.synced(project.path, workspaceVolume(hubId, project.name, '').name);
}

/**
 * The volume of a synced project's workspace: the project container and its sync side-car
 * mount it; `down` keeps it (only `down --volumes` removes it, and the host folder stays).
 */
export function workspaceVolume(hubId: string, project: string, target: string): VolumeMount {
  return memberVolume(hubId, project, 'sync', 'workspace', target);
}

/** The project container's name (the unit's `project` member): the same as before roles. */
export function containerName(hubId: string, project: string): string {
  return memberName(hubId, project, 'project');
}

export function networkName(hubId: string, project: string): string {
  return `berth-${project}-${hubId}`;
}

/** The network a project's members join: its own when `isolated`. */
export function projectNetwork(hubId: string, project: ProjectConfig): ContainerSpec['network'] {
  return project.network === 'isolated'
    ? { mode: 'network', name: networkName(hubId, project.name) }
    : { mode: project.network };
}

/**
 * The one template every project container is built from. Callers choose the project, never
 * engine settings: the security options are fixed here.
 */
export function projectContainerSpec(
  hubId: string,
  project: ProjectConfig,
  image: { ref: string; id: string },
  owner: ProjectFolder,
): { spec: ContainerSpec; hash: string } {
  const env: Record<string, string> = { BERTH_PROJECT: project.name };
  // A uid that is not in the image's /etc/passwd gets HOME=/, where tools cannot write.
  if (owner.uid !== 0) env.HOME = '/tmp';
  Object.assign(env, project.env);
  const placement = projectPlacement(hubId, project);
  const mount = placement.mount();
  const spec = hardenedSpec({
    name: containerName(hubId, project.name),
    image: image.ref,
    // the runtime's agent serves commands (and keeps it alive)
    agent: true,
    labels: { ...hubLabels(hubId, 'project', project.name), [LABEL.path]: project.path },
    env,
    // Run as the folder's owner so files created inside show up on the host with the right owner.
    user: `${owner.uid}:${owner.gid}`,
    workingDir: placement.containerPath(),
    hostname: project.name,
    // a synced project's workspace is its volume (kept in sync with the folder), never the folder
    ...(mount.kind === 'bind'
      ? { mounts: [{ source: mount.source, target: mount.target }] }
      : { volumes: [workspaceVolume(hubId, project.name, mount.target)] }),
    network: projectNetwork(hubId, project),
    limits: {
      cpus: project.resources.cpus,
      memoryBytes: project.resources.memoryBytes,
      pids: project.resources.pids,
    },
    keepAlive: true,
  });
  const hash = createHash('sha256')
    .update(JSON.stringify({ spec, imageId: image.id, source: { dev: owner.dev, ino: owner.ino } }))
    .digest('hex')
    .slice(0, 16);
  spec.labels[LABEL.configHash] = hash;
  return { spec, hash };
}
