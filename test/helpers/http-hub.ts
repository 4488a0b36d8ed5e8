import { silentLogger } from '../../src/logger.js';
import {
  startHttpServer,
  type HttpServerOptions,
  type RunningHttpServer,
} from '../../src/mcp/http/http-server.js';
import { busybox, createTestHub, type TestHub } from './test-hub.js';

export interface HttpHub extends AsyncDisposable {
  t: TestHub;
  server: RunningHttpServer;
}

/**
 * A real hub with one busybox project `box` and the MCP HTTP server in front of it, on a free
 * loopback port; disposing closes the server, then the hub.
 */
export async function startHttpHub(
  token: string,
  options: { up?: boolean } & Partial<Pick<HttpServerOptions, 'maxBodyBytes' | 'limits'>> = {},
): Promise<HttpHub> {
  const { up, ...serverOptions } = options;
  const t = createTestHub({ projects: { box: busybox('./box') } });
  if (up) await t.hub.up();
  const server = await startHttpServer(
    { hub: t.hub, logger: silentLogger() },
    { host: '127.0.0.1', port: 0, token, ...serverOptions },
  );
  return {
    t,
    server,
    async [Symbol.asyncDispose]() {
      await server.close();
      await t[Symbol.asyncDispose]();
    },
  };
}
