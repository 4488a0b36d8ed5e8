import { BerthError } from '../../errors.js';

/** An engine reached over ssh: `DOCKER_HOST=ssh://[user@]host[:port]`. */
export interface SshEndpoint {
  /** The login name; none: ssh's own choice (its config, else the local user). */
  user: string | undefined;
  /** A host name or address as ssh takes it (IPv6 without brackets). */
  host: string;
  port: number | undefined;
}

// What ssh may receive as a user and a host: nothing it could read as an option or a pattern.
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]*$|^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

export function isSshHost(dockerHost: string | undefined): boolean {
  return dockerHost?.startsWith('ssh://') === true;
}

/** Reads `ssh://[user@]host[:port]`; anything else (a path, a password, odd characters) is refused. */
export function parseSshHost(dockerHost: string): SshEndpoint {
  // a password written into it is not repeated
  const shown = dockerHost.replace(/^(ssh:\/\/[^/@:]*):[^/@]*@/, '$1:***@');
  const refuse = (why: string) =>
    new BerthError('CONFIG_INVALID', `DOCKER_HOST=${shown} is not a usable ssh endpoint: ${why}.`, {
      expected: 'ssh://[user@]host[:port]',
    });
  let url: URL;
  try {
    url = new URL(dockerHost);
  } catch {
    throw refuse('it is not a URL');
  }
  if (url.protocol !== 'ssh:') throw refuse('it does not start with ssh://');
  if (url.password) throw refuse('a password cannot be given in it; berth logs in with a key');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash)
    throw refuse('it has a path or query; the remote engine is reached through its docker CLI');
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  if (user !== undefined && !USER.test(user))
    throw refuse(`the user name "${user}" has characters ssh would misread`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!HOST.test(host)) throw refuse(`the host "${host}" is not a host name or address`);
  return { user, host, port: url.port ? Number(url.port) : undefined };
}

/** `ssh://user@host:port` again, for messages and logs (it holds no secret). */
export function describeSshEndpoint(endpoint: SshEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `ssh://${endpoint.user ? `${endpoint.user}@` : ''}${host}${endpoint.port ? `:${endpoint.port}` : ''}`;
}

/**
 * The ssh command line that opens one Engine API stream on the remote, as the docker CLI does
 * itself: `docker system dial-stdio` there copies stdin/stdout to the remote engine's socket.
 *
 * Host keys are checked by ssh against known_hosts (BERTH_SSH_KNOWN_HOSTS when set, else
 * ssh's own files); BatchMode turns every question (an unknown host, a passphrase) into a
 * failure, since stdin is the API stream. The key is BERTH_SSH_KEY when set (and then only
 * it), else whatever ssh would use: its agent (SSH_AUTH_SOCK), ~/.ssh/config, ~/.ssh/id_*.
 */
export function sshDialArgs(endpoint: SshEndpoint, env: NodeJS.ProcessEnv, controlPath?: string): string[] {
  const args = [
    '-T',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    // a dead link ends a long attach within a minute instead of hanging it
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=3',
    '-o',
    'ForwardAgent=no',
    '-o',
    'ForwardX11=no',
    '-o',
    'ClearAllForwardings=yes',
  ];
  // One login shared by every connection (ssh's multiplexing): a new connection is then a
  // session on it, not a key exchange and authentication. The master lingers a minute after
  // the last session, so a killed berth leaves nothing for long.
  if (controlPath !== undefined)
    args.push('-o', 'ControlMaster=auto', '-o', `ControlPath=${controlPath}`, '-o', 'ControlPersist=60');
  if (env.BERTH_SSH_KEY) args.push('-i', env.BERTH_SSH_KEY, '-o', 'IdentitiesOnly=yes');
  if (env.BERTH_SSH_KNOWN_HOSTS) args.push('-o', `UserKnownHostsFile=${env.BERTH_SSH_KNOWN_HOSTS}`);
  if (endpoint.port !== undefined) args.push('-p', String(endpoint.port));
  if (endpoint.user !== undefined) args.push('-l', endpoint.user);
  args.push('--', endpoint.host, 'docker', 'system', 'dial-stdio');
  return args;
}

/** The command line that asks the shared login at `controlPath` to end (`ssh -O exit`). */
export function sshExitArgs(endpoint: SshEndpoint, controlPath: string): string[] {
  const args = ['-o', 'BatchMode=yes', '-o', `ControlPath=${controlPath}`, '-O', 'exit'];
  if (endpoint.port !== undefined) args.push('-p', String(endpoint.port));
  if (endpoint.user !== undefined) args.push('-l', endpoint.user);
  args.push('--', endpoint.host);
  return args;
}
