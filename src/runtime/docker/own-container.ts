import { readFileSync } from 'node:fs';

/**
 * The id of the container this process runs in, if any: Docker bind-mounts the container's own
 * /etc/hostname and resolv.conf from /var/lib/docker/containers/<id>/, which mountinfo shows.
 */
export function ownContainerId(mountinfo = '/proc/self/mountinfo'): string | undefined {
  try {
    return /\/containers\/([0-9a-f]{64})\//.exec(readFileSync(mountinfo, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
