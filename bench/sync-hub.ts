import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBerth, silentLogger, type Berth } from '../src/index.js';
import type { SyncService } from '../src/sync/sync-service.js';
import { mustRun } from './child.js';
import { BENCH_IMAGE, removeTree } from './fixture.js';
import { describe, log } from './report.js';

/** A throwaway berth whose projects all have `workspace: sync`, each on its own empty folder. */
export interface SyncHub {
  dir: string;
  home: string;
  berth: Berth;
  sync: SyncService;
  /** The host folder of a project. */
  folder(project: string): string;
  /** Brings these projects up (side-car, project container, first sync of whatever is there). */
  up(projects: string[]): Promise<void>;
  /** The ids of a project's containers: its own (busybox, /workspace mounted) and its side-car. */
  containers(project: string): Promise<{ project: string; sidecar: string; volume: string }>;
  /** Removes the hub's containers and volumes, closes it and removes `dir`; never throws. */
  close(): Promise<void>;
}

export async function openSyncHub(dir: string, projects: string[]): Promise<SyncHub> {
  mkdirSync(dir, { recursive: true });
  const entries = projects.map((name) => {
    mkdirSync(join(dir, name));
    return `  ${name}:\n    path: ./${name}\n    image: ${BENCH_IMAGE}\n    network: isolated\n    workspace: sync\n`;
  });
  writeFileSync(join(dir, 'berth.yaml'), `version: 1\nprojects:\n${entries.join('')}`);
  const home = join(dir, '.berth-home');
  // the hub's warnings would interleave with the figures; failures still throw
  const berth = openBerth({ cwd: dir, home, logger: silentLogger() });
  const sync = await berth.sync();
  const hubId = berth.config.hubId;
  const byRole = async (project: string, role: string) => {
    const out = await mustRun('docker', [
      'ps',
      '-q',
      '--no-trunc',
      '--filter',
      `label=berth.hub=${hubId}`,
      '--filter',
      `label=berth.project=${project}`,
      '--filter',
      `label=berth.role=${role}`,
    ]);
    const [id, ...more] = out.stdout.split('\n').filter(Boolean);
    if (!id || more.length > 0)
      throw new Error(
        `expected one running ${role} container of ${project}, found ${more.length + (id ? 1 : 0)}`,
      );
    return id;
  };
  return {
    dir,
    home,
    berth,
    sync,
    folder: (project) => join(dir, project),
    async up(names) {
      await berth.hub.up(names);
    },
    async containers(project) {
      const [own, sidecar] = await Promise.all([byRole(project, 'project'), byRole(project, 'sync')]);
      const mounts = await mustRun('docker', [
        'inspect',
        '-f',
        '{{range .Mounts}}{{if eq .Destination "/workspace"}}{{.Name}}{{end}}{{end}}',
        sidecar,
      ]);
      const volume = mounts.stdout.trim();
      if (!volume) throw new Error(`the side-car of ${project} has no volume at /workspace`);
      return { project: own, sidecar, volume };
    },
    async close() {
      try {
        await sync.close();
        await berth.hub.down([], { volumes: true });
      } catch (err) {
        log(
          `could not remove the containers and volumes of hub ${hubId}: ${describe(err)}; remove them with: ` +
            `docker rm -f $(docker ps -aq --filter label=berth.hub=${hubId}) and docker volume rm ` +
            `$(docker volume ls -q --filter label=berth.hub=${hubId})`,
        );
      } finally {
        await berth.close();
        removeTree(dir);
      }
    },
  };
}
