import { join } from 'node:path';
import type { HubConfig } from '../config/types.js';
import { loadOrCreateToken } from '../http/token.js';
import type { OpsEndpoint } from './client/ops-client.js';

export const OPS_TOKEN_FILE = 'ops-token';
export const OPS_SOCKET = 'ops.sock';

/**
 * Where the side-car is: `url` when given (`--ops`), then BERTH_OPS_URL/BERTH_OPS_TOKEN, then
 * berth.yaml ops.url, then BERTH_HOME's socket.
 */
export function opsEndpoint(
  home: string,
  config: HubConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
  url?: string,
): OpsEndpoint {
  url ??= env.BERTH_OPS_URL ?? config?.ops.url ?? `unix://${join(home, OPS_SOCKET)}`;
  const token = env.BERTH_OPS_TOKEN ?? loadOrCreateToken(home, OPS_TOKEN_FILE).token;
  return { url, token };
}
