import { shellReady } from '../exec/wait/strategies.js';
import { projectContainerSpec } from './container-spec.js';
import type { UnitRole } from './unit-role.js';

/** How long up waits for a new project container to run a shell (gVisor takes a moment). */
const SHELL_READY_MS = 30_000;

/**
 * The unit's main member, one per project: the container commands, tests and the MCP tools run
 * in, with the project folder bind-mounted. Ready when it can run a shell command.
 */
export const projectRole: UnitRole = {
  role: 'project',
  appliesTo: () => true,
  plan({ hubId, project, image, folder }) {
    const { spec, hash } = projectContainerSpec(hubId, project, image, folder);
    return {
      spec,
      hash,
      ready: { strategy: shellReady(), timeoutMs: SHELL_READY_MS },
      notReady: (why, state) =>
        `the container cannot run /bin/sh (state: ${state}${why ? `; ${why}` : ''}); berth needs an image with /bin/sh`,
    };
  },
};
