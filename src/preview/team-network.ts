import { isBerthError } from '../errors.js';
import type { ContainerRuntime, NetworkInfo } from '../runtime/container-runtime.js';
import { LABEL } from '../runtime/labels.js';

/**
 * The team's network, made when missing: its previews (and later its agents) reach one another
 * by container name on it. `labels` are the team's; berth adds role `network`, and cleanup
 * finds it by them.
 */
export async function ensureTeamNetwork(
  runtime: ContainerRuntime,
  name: string,
  labels: Record<string, string>,
): Promise<NetworkInfo> {
  const wanted = { ...labels, [LABEL.role]: 'network' };
  const find = async () => (await runtime.networks.list(wanted)).find((n) => n.name === name);
  const existing = await find();
  if (existing) return existing;
  try {
    return await runtime.networks.create({ name, labels: wanted });
  } catch (err) {
    // made meanwhile by a concurrent start of the same team
    const made = isBerthError(err) ? await find() : undefined;
    if (made) return made;
    throw err;
  }
}
