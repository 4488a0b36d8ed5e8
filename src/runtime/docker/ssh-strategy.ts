import { accessSync, constants, statSync } from 'node:fs';
import type Docker from 'dockerode';
import { BerthError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { SshEngineAgent } from './ssh-agent.js';
import { parseSshHost } from './ssh-endpoint.js';

/** An ssh login can take seconds on a far or busy host; ssh itself gives up after 10 s. */
export const SSH_PING_TIMEOUT_MS = 15_000;

export const SSH_ADVICE =
  'Check that `ssh` to that host works from here with the same key (BERTH_SSH_KEY, else your ssh ' +
  'agent and ~/.ssh), that its host key is in known_hosts, and that `docker version` works there.';

/**
 * Connection options for `DOCKER_HOST=ssh://[user@]host[:port]`: plain HTTP over an agent whose
 * every connection is an ssh session running `docker system dial-stdio` (see ssh-agent.ts).
 * The key and known-hosts files berth is told to use must be there before any login is tried.
 */
export function sshEngineOptions(
  dockerHost: string,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Docker.DockerOptions {
  const endpoint = parseSshHost(dockerHost);
  if (env.BERTH_SSH_KEY)
    expectReadableFile('BERTH_SSH_KEY', env.BERTH_SSH_KEY, 'the private key to log in with');
  if (env.BERTH_SSH_KNOWN_HOSTS)
    expectReadableFile(
      'BERTH_SSH_KNOWN_HOSTS',
      env.BERTH_SSH_KNOWN_HOSTS,
      "the known_hosts file with the server's key",
    );
  const agent = new SshEngineAgent(endpoint, env, logger);
  logger.debug(
    { ns: 'berth:runtime', endpoint: agent.endpointName, key: env.BERTH_SSH_KEY || 'ssh default' },
    'engine over ssh',
  );
  // docker-modem sends every request through `agent` when one is given; host and port only
  // fill the Host header, which the engine ignores (the docker CLI sends `docker` too)
  return { protocol: 'http', host: 'docker', port: 80, agent } as Docker.DockerOptions;
}

function expectReadableFile(name: string, path: string, what: string): void {
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new BerthError(
      'CONFIG_INVALID',
      `${name}=${path} should be ${what}, but it is not a readable file (${(err as Error).message}).`,
      { [name]: path },
    );
  }
}
