import { createHash } from 'node:crypto';
import { WorkspacePlacement } from '../../src/workspace/placement.js';
import { allOf, httpBelow500, tcpPort } from '../../src/exec/wait/strategies.js';
import { projectNetwork } from '../../src/hub/container-spec.js';
import { memberName, memberVolume, type UnitRole } from '../../src/hub/unit-role.js';
import { hardenedSpec } from '../../src/runtime/hardened-spec.js';

export interface StaticPreviewOptions {
  /** The projects that have a preview. */
  projects: string[];
  /** The server's command (default: busybox httpd serving the project folder on 8080). */
  script?: string;
  timeoutMs?: number;
}

/**
 * A preview role as a feature folder would write one (src/preview/), using nothing of the hub
 * but its role contract: a static server over the project folder, its port published on
 * 127.0.0.1, a cache volume, a tmpfs, a health check, and an HTTP wait.
 */
export function staticPreviewRole(options: StaticPreviewOptions): UnitRole {
  return {
    role: 'preview',
    appliesTo: (project) => options.projects.includes(project.name),
    plan({ hubId, project, image }) {
      const placement = WorkspacePlacement.forProject(project);
      const script = options.script ?? `exec httpd -f -p 8080 -h ${placement.containerPath()}`;
      const spec = hardenedSpec({
        name: memberName(hubId, project.name, 'preview'),
        image: image.ref,
        cmd: ['/bin/sh', '-c', script],
        labels: {},
        mounts: [{ ...placement.bindMount(), readOnly: true }],
        volumes: [memberVolume(hubId, project.name, 'preview', 'cache', '/cache')],
        tmpfs: [{ target: '/scratch' }],
        ports: [{ containerPort: 8080 }],
        healthCheck: {
          cmd: ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'],
          intervalMs: 300,
          timeoutMs: 2000,
          retries: 3,
          startPeriodMs: 0,
        },
        network: projectNetwork(hubId, project),
        limits: { cpus: 0.25, memoryBytes: 32 * 1024 * 1024, pids: 32 },
      });
      const hash = createHash('sha256')
        .update(JSON.stringify({ spec, imageId: image.id }))
        .digest('hex')
        .slice(0, 16);
      return {
        spec,
        hash,
        ready: {
          strategy: allOf(tcpPort(8080), httpBelow500(8080, '/')),
          timeoutMs: options.timeoutMs ?? 15_000,
        },
      };
    },
  };
}
