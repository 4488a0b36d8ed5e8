import type { Hub } from '../../src/hub/hub.js';

/** Command lines of every process in the project's container (works without `ps`). */
export async function processList(hub: Hub, project: string): Promise<string[]> {
  const result = await hub.exec(project, [
    '/bin/sh',
    '-c',
    'for p in /proc/[0-9]*; do [ "${p#/proc/}" = "$$" ] && continue; tr "\\0" " " < "$p/cmdline" 2>/dev/null; echo; done',
  ]);
  return result.stdout.split('\n').filter((l) => l.trim() !== '' && !l.includes('/proc/[0-9]'));
}
