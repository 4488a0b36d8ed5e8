import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/ssh-loopback.sh', import.meta.url));

/** The local engine reached as a remote one: over berth's own sshd on 127.0.0.1. */
export interface SshEngine {
  /** `ssh://root@127.0.0.1:PORT` */
  dockerHost: string;
  /** The private key the loopback sshd lets in as root. */
  keyPath: string;
  /** A known_hosts file that holds the loopback sshd's host key (and nothing else). */
  knownHostsPath: string;
  /** A key whose logins see no docker CLI (a remote without docker). */
  noDockerKeyPath: string;
  /** process.env with DOCKER_HOST, BERTH_SSH_KEY and BERTH_SSH_KNOWN_HOSTS set to the above. */
  env: NodeJS.ProcessEnv;
}

export type SshEngineOutcome = { engine: SshEngine; skip?: undefined } | { engine?: undefined; skip: string };

let outcome: SshEngineOutcome | undefined;

/**
 * Runs scripts/ssh-loopback.sh once per process (it installs openssh-server when missing, then
 * keeps its sshd running across processes). Only a machine where sshd cannot be installed gives
 * a reason to skip; any other failure throws.
 */
export function sshEngineOrSkip(): SshEngineOutcome {
  if (outcome) return outcome;
  const run = spawnSync('bash', [SCRIPT, '--quiet'], { encoding: 'utf8', timeout: 300_000 });
  if (run.status === 3) {
    outcome = { skip: `openssh-server cannot be installed here: ${run.stderr.trim()}` };
    return outcome;
  }
  if (run.status !== 0)
    throw new Error(`scripts/ssh-loopback.sh failed (${run.status ?? run.signal}): ${run.stderr.trim()}`);
  const values = Object.fromEntries(
    run.stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string | undefined>;
  const need = (name: string): string => {
    const value = values[name];
    if (!value) throw new Error(`scripts/ssh-loopback.sh printed no ${name}: ${run.stdout}`);
    return value;
  };
  const engine = {
    dockerHost: need('DOCKER_HOST'),
    keyPath: need('BERTH_SSH_KEY'),
    knownHostsPath: need('BERTH_SSH_KNOWN_HOSTS'),
    noDockerKeyPath: need('BERTH_SSH_NODOCKER_KEY'),
  };
  outcome = {
    engine: {
      ...engine,
      env: {
        ...process.env,
        DOCKER_HOST: engine.dockerHost,
        BERTH_SSH_KEY: engine.keyPath,
        BERTH_SSH_KNOWN_HOSTS: engine.knownHostsPath,
      },
    },
  };
  return outcome;
}

/** The ssh engine, or an error when this machine cannot have one. */
export function ensureSshEngine(): SshEngine {
  const { engine, skip } = sshEngineOrSkip();
  if (!engine) throw new Error(skip);
  return engine;
}
