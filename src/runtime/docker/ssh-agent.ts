import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Agent, type ClientRequest, type ClientRequestArgs } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../logger.js';
import { removePath } from '../../workspace/path-ops.js';
import { SshDialSocket } from './ssh-dial-socket.js';
import { describeSshEndpoint, sshDialArgs, sshExitArgs, type SshEndpoint } from './ssh-endpoint.js';

/** How long an unused Engine API connection over ssh is kept for the next request. */
const IDLE_MS = 30_000;

/**
 * The http agent dockerode sends every Engine API request through for an ssh:// engine: each
 * connection is one `ssh … docker system dial-stdio` (see SshDialSocket), kept alive between
 * requests. Every connection's ssh is a session on one shared login (ControlMaster, its socket
 * in a 0700 temp folder of this agent's), so a hijacked request (exec, attach: they keep their
 * connection) costs a session and the remote docker CLI's start, not an ssh login.
 *
 * docker-modem's own ssh support is not used: it logs in again for every request (half a
 * second each here), has no host-key check unless one is coded by hand, and reports a remote
 * without docker as "socket hang up". The system ssh client does what `docker -H ssh://` does:
 * the user's known_hosts, config and agent.
 */
export class SshEngineAgent extends Agent {
  readonly endpointName: string;
  private readonly args: string[];
  private readonly controlDir: string;
  private closed = false;

  constructor(
    private readonly endpoint: SshEndpoint,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
  ) {
    super({ keepAlive: true, maxFreeSockets: 4 });
    this.endpointName = describeSshEndpoint(endpoint);
    // short: a unix socket path has room for about 100 bytes
    this.controlDir = mkdtempSync(join(tmpdir(), 'berth-ssh-'));
    this.args = sshDialArgs(endpoint, env, join(this.controlDir, 'c'));
    // a process that ends without closing its runtime leaves no login and no folder behind
    process.once('exit', this.endLogin);
  }

  /** Ends every connection, then the shared login, and removes its folder. */
  override destroy(): void {
    super.destroy();
    this.endLogin();
  }

  private readonly endLogin = (): void => {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('exit', this.endLogin);
    const control = join(this.controlDir, 'c');
    // no master (none was made, or it is gone): ssh says so and nothing is left to do
    spawnSync('ssh', sshExitArgs(this.endpoint, control), { env: this.env, stdio: 'ignore', timeout: 5000 });
    removePath(this.controlDir);
  };

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
