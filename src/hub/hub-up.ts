import type { HubConfig, ProjectConfig } from '../config/types.js';
import { BerthError, describeError, isBerthError } from '../errors.js';
import type { Logger } from '../logger.js';
import { containerProbes } from '../exec/wait/container-probes.js';
import { waitUntilReady } from '../exec/wait/wait-strategy.js';
import type { ContainerInfo, ContainerRuntime } from '../runtime/container-runtime.js';
import { hubContainerLabels, hubLabels, LABEL } from '../runtime/labels.js';
import type { Store } from '../store/store.js';
import { networkName, type ProjectFolder } from './container-spec.js';
import { resolveImage, type ResolvedImage } from './image-resolver.js';
import { checkProjectFolder } from './project-lookup.js';
import type { MemberUp, UpResult } from './projects.js';
import type { MemberContext, MemberPlan, UnitRole } from './unit-role.js';

export interface UpDeps {
  runtime: ContainerRuntime;
  store: Store;
  logger: Logger;
  config: HubConfig;
  /** The roles of a project unit, the `project` role first. */
  roles: UnitRole[];
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
 * (folders, images) runs first; then each project's unit is brought up, projects in parallel,
 * a unit's members in role order; if any project fails, everything this run created is removed
 * again.
 */
export async function upProjects(deps: UpDeps, projects: ProjectConfig[]): Promise<UpResult[]> {
  const { runtime, config } = deps;
  const engine = await runtime.ping();
  const { sharedHostFs } = await runtime.capabilities();
  const bound = projects.filter((p) => p.workspace !== 'sync');
  if (!sharedHostFs && bound.length > 0) {
    throw new BerthError(
      'UNSUPPORTED',
      `the engine is a remote engine (${engine.endpoint}): a bind mount would mount a folder of that machine, ` +
        `not this one; set \`workspace: sync\` for ${bound.map((p) => p.name).join(', ')} in berth.yaml`,
      { projects: bound.map((p) => p.name) },
    );
  }
  const owners = projects.map((p) => checkProjectFolder(p));
  const prepared: Prepared[] = [];
  for (const [i, project] of projects.entries()) {
    const image = await resolveImage(runtime, config.hubId, project, (line) =>
      deps.onProgress?.(project.name, line),
    );
    prepared.push({ project, owner: owners[i]!, image });
  }
  const known = new Set(deps.roles.map((r) => r.role));
  const existing = (await runtime.containers.list(hubContainerLabels(config.hubId))).filter((c) =>
    known.has(c.labels[LABEL.role] as UnitRole['role']),
  );
  const created = new Created();
  const outcomes = await Promise.allSettled(prepared.map((p) => upUnit(deps, p, existing, created)));
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

/** One project's members: each role that applies, made or kept; members of roles that no longer apply removed. */
async function upUnit(
  deps: UpDeps,
  { project, owner, image }: Prepared,
  existing: ContainerInfo[],
  created: Created,
): Promise<UpResult> {
  const { runtime, config, store } = deps;
  const context: MemberContext = { hubId: config.hubId, project, image, folder: owner };
  const progress = (line: string) => deps.onProgress?.(project.name, line);
  const roles = deps.roles.filter((r) => r.appliesTo(project));
  for (const role of roles) await role.prepare?.(context, progress);
  const plans = roles.map((r) => withUnitLabels(r, context));
  const mine = existing.filter((c) => c.labels[LABEL.project] === project.name);
  for (const stale of mine.filter((c) => !plans.some((p) => p.role === c.labels[LABEL.role]))) {
    deps.onProgress?.(project.name, `${stale.labels[LABEL.role]} is no longer configured; removing it`);
    await runtime.containers.remove(stale.id);
  }
  let network: Promise<void> | undefined;
  const ensure = () => (network ??= ensureNetwork(deps, project, created));
  const members: MemberUp[] = [];
  for (const plan of plans) {
    const current = mine.find((c) => c.labels[LABEL.role] === plan.role);
    members.push(await upMember(deps, project.name, plan, current, created, ensure));
  }
  for (const [i, role] of roles.entries()) await role.afterUp?.(context, members[i]!.containerId, progress);
  const main = members.find((m) => m.role === 'project') ?? members[0]!;
  store.upsertProject({
    hubId: config.hubId,
    name: project.name,
    path: project.path,
    configFile: config.file ?? null,
    image: image.ref,
    containerId: main.containerId,
    configHash: plans.find((p) => p.role === main.role)!.hash,
  });
  store.recordMembers(
    config.hubId,
    project.name,
    members.map((m, i) => ({ role: m.role, containerId: m.containerId, configHash: plans[i]!.hash })),
  );
  return {
    project: project.name,
    action: main.action,
    containerId: main.containerId,
    image: image.ref,
    members,
  };
}

type LabelledPlan = MemberPlan & { role: UnitRole['role'] };

/** A member's plan with the unit's labels: hub, project, role and its config hash. */
function withUnitLabels(role: UnitRole, context: MemberContext): LabelledPlan {
  const plan = role.plan(context);
  const spec = {
    ...plan.spec,
    labels: {
      ...plan.spec.labels,
      ...hubLabels(context.hubId, role.role, context.project.name),
      [LABEL.configHash]: plan.hash,
    },
  };
  return { ...plan, spec, role: role.role };
}

async function upMember(
  deps: UpDeps,
  project: string,
  plan: LabelledPlan,
  current: ContainerInfo | undefined,
  created: Created,
  ensureNetwork: () => Promise<void>,
): Promise<MemberUp> {
  const { runtime } = deps;
  const member = (action: MemberUp['action'], containerId: string): MemberUp => ({
    role: plan.role,
    action,
    containerId,
  });
  if (current && current.labels[LABEL.configHash] === plan.hash) {
    if (current.state === 'running') return member('unchanged', current.id);
    await runtime.containers.start(current.id);
    await awaitReady(runtime, project, plan, current.id);
    return member('started', current.id);
  }
  if (current) {
    const what = plan.role === 'project' ? 'the container' : `its ${plan.role} container`;
    deps.onProgress?.(project, `configuration or project folder changed; recreating ${what}`);
    await runtime.containers.remove(current.id);
  }
  await ensureNetwork();
  const id = await runtime.containers.create(plan.spec);
  created.containers.push(id);
  await runtime.containers.start(id);
  await awaitReady(runtime, project, plan, id);
  return member(current ? 'recreated' : 'created', id);
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

/** Waits with the member's own strategy; not ready is an up failure in the role's words. */
async function awaitReady(
  runtime: ContainerRuntime,
  project: string,
  plan: LabelledPlan,
  id: string,
): Promise<void> {
  const subject = plan.role === 'project' ? `project ${project}` : `the ${plan.role} of project ${project}`;
  try {
    await waitUntilReady(plan.ready.strategy, containerProbes(runtime, id), {
      timeoutMs: plan.ready.timeoutMs,
      subject,
    });
  } catch (err) {
    if (!isBerthError(err, 'NOT_READY')) throw err;
    const state = (await runtime.containers.inspect(id))?.state ?? 'gone';
    const why = err.message.trim().replace(/\s+/g, ' ').slice(0, 300);
    throw new BerthError(
      'UP_FAILED',
      plan.notReady ? plan.notReady(why, state) : why,
      { project, role: plan.role },
      { cause: err },
    );
  }
}
