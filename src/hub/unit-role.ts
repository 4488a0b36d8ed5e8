import type { ProjectConfig } from '../config/types.js';
import type { WaitStrategy } from '../exec/wait/wait-strategy.js';
import type { ContainerSpec, VolumeMount } from '../runtime/container-runtime.js';
import { hubLabels, type ContainerRole } from '../runtime/labels.js';
import type { ProjectFolder } from './container-spec.js';
import type { ResolvedImage } from './image-resolver.js';

/**
 * A project is a unit of containers by role: its `project` container (where commands run) and,
 * when a role applies to it, one member per further role (preview, agent, lsp, sync). The hub's
 * up, status and down go over the roles it was given without knowing any of them; a new role is
 * one object like this, handed to the hub by the composition root (app/open-berth.ts).
 */
export interface UnitRole {
  readonly role: ContainerRole;
  /** Whether this project has a member of this role, from its config alone (status asks this). */
  appliesTo(project: ProjectConfig): boolean;
  /** The member's container for this project (called by up, once the image and folder are known). */
  plan(context: MemberContext): MemberPlan;
  /**
   * Work before planning that needs the engine (an image of berth's own to build); called by up
   * for each project this role applies to, before plan().
   */
  prepare?(context: MemberContext, onProgress: (line: string) => void): Promise<void>;
  /**
   * Work once the whole unit is up and ready (the first sync of a synced workspace); a failure
   * fails the up like any other.
   */
  afterUp?(context: MemberContext, containerId: string, onProgress: (line: string) => void): Promise<void>;
}

/** What up knows about a project when it plans its members. */
export interface MemberContext {
  hubId: string;
  project: ProjectConfig;
  /** The project's own image, present on the engine. */
  image: ResolvedImage;
  folder: ProjectFolder;
}

export interface MemberPlan {
  /**
   * Built with hardenedSpec(); named with memberName(). The hub adds the unit's labels (hub,
   * project, role) and the config hash, so a member is always found by label.
   */
  spec: ContainerSpec;
  /** Changes whenever the member must be made again (its spec, its image, the folder it mounts). */
  hash: string;
  /** What ready means, and how long up waits for it. */
  ready: { strategy: WaitStrategy; timeoutMs: number };
  /** The sentence an up failure gives when the member is not ready (default: the wait's own). */
  notReady?: (why: string, state: string) => string;
}

/**
 * The container name of a member. The project container keeps the name it always had; other
 * roles add theirs after the hub id (hub ids are hex, so no project name can make two equal).
 */
export function memberName(hubId: string, project: string, role: ContainerRole): string {
  const base = `berth-${project}-${hubId}`;
  return role === 'project' ? base : `${base}-${role}`;
}

/**
 * A named volume of a member, labelled for the hub and project: `down` keeps it unless asked to
 * remove volumes, so its data outlives recreating the member.
 */
export function memberVolume(
  hubId: string,
  project: string,
  role: ContainerRole,
  name: string,
  target: string,
): VolumeMount {
  return {
    name: `berth-${project}-${hubId}-${role}-${name}`,
    target,
    labels: { ...hubLabels(hubId, 'volume', project), 'berth.member': role },
  };
}
