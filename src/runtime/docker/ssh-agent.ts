import { Agent, type ClientRequest, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../logger.js';
import { SshDialSocket } from './ssh-dial-socket.js';
import { describeSshEndpoint, sshDialArgs, type SshEndpoint } from './ssh-endpoint.js';

/** How long an unused Engine API connection over ssh is kept for the next request. */
const IDLE_MS = 30_000;

/**
 * The http agent dockerode sends every Engine API request through for an ssh:// engine: each
 * connection is one `ssh … docker system dial-stdio` (see SshDialSocket), kept alive between
 * requests, so only the first request and each hijacked one (exec, attach, which keep their
 * connection) pay for an ssh login.
 *
 * docker-modem's own ssh support is not used: it logs in again for every request (half a
 * second each here), has no host-key check unless one is coded by hand, and reports a remote
 * without docker as "socket hang up". The system ssh client does what `docker -H ssh://` does:
 * the user's known_hosts, config and agent.
 */
export class SshEngineAgent extends Agent {
  readonly endpointName: string;
  private readonly args: string[];

  constructor(
    endpoint: SshEndpoint,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
  ) {
    super({ keepAlive: true, maxFreeSockets: 4 });
    this.endpointName = describeSshEndpoint(endpoint);
    this.args = sshDialArgs(endpoint, env);
  }

  /** Returned, not handed to a callback: http takes a socket made at once. */
  override createConnection(_options: ClientRequestArgs): Duplex {
    this.logger.debug({ ns: 'berth:runtime', endpoint: this.endpointName }, 'ssh dial');
    return new SshDialSocket({
      args: this.args,
      endpoint: this.endpointName,
      keyPath: this.env.BERTH_SSH_KEY || undefined,
      env: this.env,
      logger: this.logger,
    });
  }

  override keepSocketAlive(socket: Duplex): boolean {
    if (!(socket instanceof SshDialSocket)) return false;
    socket.idle(IDLE_MS);
    return true;
  }

  /** http's own bookkeeping (it calls ref(), which SshDialSocket has), then out of idling. */
  override reuseSocket(socket: Duplex, request: ClientRequest): void {
    super.reuseSocket(socket, request);
    if (socket instanceof SshDialSocket) socket.busy();
  }
}
