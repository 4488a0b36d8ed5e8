/** Every container and network berth creates carries these; all lookups go by them. */
export const LABEL = {
  hub: 'berth.hub',
  project: 'berth.project',
  role: 'berth.role',
  configHash: 'berth.config-hash',
  path: 'berth.path',
  session: 'berth.session',
  /** A team workspace's containers, networks and volumes (src/team). */
  team: 'berth.team',
  /** The app of a team a preview serves. */
  app: 'berth.app',
} as const;

/** What a container is for within its project: a project is a unit of containers by role. */
export const CONTAINER_ROLES = ['project', 'session', 'preview', 'agent', 'lsp', 'sync'] as const;
export type ContainerRole = (typeof CONTAINER_ROLES)[number];

/** `berth.role` of anything berth labels: a container's role, or a network, image or volume. */
export type Role = ContainerRole | 'network' | 'image' | 'volume';

export function isContainerRole(value: string | undefined): value is ContainerRole {
  return (CONTAINER_ROLES as readonly string[]).includes(value ?? '');
}

export function hubLabels(hubId: string, role: Role, project?: string): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.hub]: hubId, [LABEL.role]: role };
  if (project !== undefined) labels[LABEL.project] = project;
  return labels;
}

/** Every container of a hub, whatever its role (one lookup, filtered by role after). */
export function hubContainerLabels(hubId: string, project?: string): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.hub]: hubId };
  if (project !== undefined) labels[LABEL.project] = project;
  return labels;
}
