import type { ContainerInfo } from '../container-spec.js';

/** The labels Docker Compose puts on the containers of its services. */
const COMPOSE = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  replica: 'com.docker.compose.container-number',
} as const;

/** The label filter that finds a Compose service's containers. */
export function composeServiceLabels(project: string, service: string): Record<string, string> {
  return { [COMPOSE.project]: project, [COMPOSE.service]: service };
}

/** First replica first. */
export function byReplica(containers: ContainerInfo[]): ContainerInfo[] {
  const replica = (c: ContainerInfo) => Number(c.labels[COMPOSE.replica] ?? 0);
  return [...containers].sort((a, b) => replica(a) - replica(b));
}
