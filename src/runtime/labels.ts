/** Every container and network berth creates carries these; all lookups go by them. */
export const LABEL = {
  hub: 'berth.hub',
  project: 'berth.project',
  role: 'berth.role',
  configHash: 'berth.config-hash',
  path: 'berth.path',
  session: 'berth.session',
} as const;

export type Role = 'project' | 'session' | 'network' | 'image';

export function hubLabels(hubId: string, role: Role, project?: string): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.hub]: hubId, [LABEL.role]: role };
  if (project !== undefined) labels[LABEL.project] = project;
  return labels;
}
