import type { HubConfig, ProjectConfig } from '../config/types.js';
import { BerthError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { probeShell } from '../exec/shell-probe.js';
import type { ContainerInfo, ContainerRuntime } from '../runtime/container-runtime.js';
import { hubLabels, LABEL } from '../runtime/labels.js';
import type { Store } from '../store/store.js';
import { networkName, projectContainerSpec, type ProjectFolder } from './container-spec.js';
import { resolveImage, type ResolvedImage } from './image-resolver.js';
import { checkProjectFolder } from './project-lookup.js';
import type { UpResult } from './projects.js';

export interface UpDeps {
  runtime: ContainerRuntime;
  store: Store;
  logger: Logger;
  config: HubConfig;
  onProgress?: (project: string, line: string) => void;
}

interface Prepared {
  project: ProjectConfig;
  owner: ProjectFolder;
  image: ResolvedImage;
}

/** What this run created, so a failure can remove exactly that and nothing else. */
class Created {
  readonly containers: string[] = [];
  readonly networks: string[] = [];

  async rollback(runtime: ContainerRuntime, logger: Logger): Promise<void> {
    for (const id of this.containers)
      await runtime.containers.remove(id).catch((e: unknown) => logger.warn(e));
    for (const id of this.networks) await runtime.networks.remove(id).catch((e: unknown) => logger.warn(e));
  }
}

/**
 * Brings projects to their configured state. Every check that can fail without side effects
 * (folders, images) runs first; then containers are created in parallel; if any project fails,
 * everything this run created is removed again.
 */
export async function upProjects(deps: UpDeps, projects: ProjectConfig[]): Promise<UpResult[]> {
  const { runtime, config } = deps;
  await runtime.ping();
  const owners = projects.map((p) => checkProjectFolder(p));
  const prepared: Prepared[] = [];
  for (const [i, project] of projects.entries()) {
    const image = await resolveImage(runtime, config.hubId, project, (line) =>
      deps.onProgress?.(project.name, line),
    );
    prepared.push({ project, owner: owners[i]!, image });
  }
  const existing = await runtime.containers.list(hubLabels(config.hubId, 'project'));
  const created = new Created();
  const outcomes = await Promise.allSettled(prepared.map((p) => upOne(deps, p, existing, created)));
  const failed = outcomes.findIndex((o) => o.status === 'rejected');
  if (failed >= 0) {
    await created.rollback(runtime, deps.logger);
    const reason = (outcomes[failed] as PromiseRejectedResult).reason as unknown;
    const name = prepared[failed]!.project.name;
    throw new BerthError(
      'UP_FAILED',
      `project "${name}" could not be brought up: ${describeError(reason)}. ` +
        'Everything this run created was removed again.',
      { project: name },
      { cause: reason },
    );
  }
  return outcomes.map((o) => (o as PromiseFulfilledResult<UpResult>).value);
}

async function upOne(
  deps: UpDeps,
  { project, owner, image }: Prepared,
  existing: ContainerInfo[],
  created: Created,
): Promise<UpResult> {
  const { runtime, config, store } = deps;
  const { spec, hash } = projectContainerSpec(config.hubId, project, image, owner);
  const current = existing.find((c) => c.labels[LABEL.project] === project.name);
  const record = (containerId: string) =>
    store.upsertProject({
      hubId: config.hubId,
      name: project.name,
      path: project.path,
      configFile: config.file ?? null,
      image: image.ref,
      containerId,
      configHash: hash,
    });

  if (current && current.labels[LABEL.configHash] === hash) {
    if (current.state === 'running') {
      record(current.id);
      return { project: project.name, action: 'unchanged', containerId: current.id, image: image.ref };
    }
    await runtime.containers.start(current.id);
    await expectRunning(runtime, current.id);
    record(current.id);
    return { project: project.name, action: 'started', containerId: current.id, image: image.ref };
  }

  if (current) {
    deps.onProgress?.(project.name, 'configuration or project folder changed; recreating the container');
    await runtime.containers.remove(current.id);
  }
  await ensureNetwork(deps, project, created);
  const id = await runtime.containers.create(spec);
  created.containers.push(id);
  await runtime.containers.start(id);
  await expectRunning(runtime, id);
  record(id);
  return {
    project: project.name,
    action: current ? 'recreated' : 'created',
    containerId: id,
    image: image.ref,
  };
}

async function ensureNetwork(deps: UpDeps, project: ProjectConfig, created: Created): Promise<void> {
  const { runtime, config } = deps;
  const labels = hubLabels(config.hubId, 'network', project.name);
  const networks = await runtime.networks.list(labels);
  if (project.network !== 'isolated') {
    // a project that left `isolated` no longer needs its own network
    for (const n of networks) await runtime.networks.remove(n.id);
    return;
  }
  if (networks.length > 0) return;
  const network = await runtime.networks.create({ name: networkName(config.hubId, project.name), labels });
  created.networks.push(network.id);
}

/** Ready means it can run a shell command (see probeShell). */
async function expectRunning(runtime: ContainerRuntime, id: string): Promise<void> {
  const { ready, output } = await probeShell(runtime, id);
  if (!ready) {
    const info = await runtime.containers.inspect(id);
    const detail = output.trim().replace(/\s+/g, ' ').slice(0, 300);
    throw new BerthError(
      'UP_FAILED',
      `the container cannot run /bin/sh (state: ${info?.state ?? 'gone'}${detail ? `; ${detail}` : ''}); ` +
        'berth needs an image with /bin/sh',
    );
  }
}
