import { BerthError } from '../errors.js';

export type Target =
  { kind: 'project'; name: string } | { kind: 'service'; project: string; service: string };

const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]*';
const PROJECT_TARGET = new RegExp(`^project:(${NAME})$`);
const SERVICE_TARGET = new RegExp(`^service:(${NAME})/(${NAME})$`);

/** `project:<name>` or `service:<compose-project>/<service>`; anything else is refused. */
export function parseTarget(text: string): Target {
  const project = PROJECT_TARGET.exec(text);
  if (project) return { kind: 'project', name: project[1]! };
  const service = SERVICE_TARGET.exec(text);
  if (service) return { kind: 'service', project: service[1]!, service: service[2]! };
  throw new BerthError(
    'POLICY_DENIED',
    'target must be project:<name> or service:<compose-project>/<service>; raw containers are never reachable',
  );
}

export function targetText(t: Target): string {
  return t.kind === 'project' ? `project:${t.name}` : `service:${t.project}/${t.service}`;
}
