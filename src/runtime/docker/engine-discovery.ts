import { existsSync } from 'node:fs';
import { Agent } from 'node:http';
import type Docker from 'dockerode';
import type { Logger } from '../../logger.js';
import { BerthError, describeError } from '../../errors.js';
import { logEngineCalls } from './engine-log.js';
import { isSshHost } from './ssh-endpoint.js';
import { SSH_ADVICE, SSH_PING_TIMEOUT_MS, sshEngineOptions } from './ssh-strategy.js';

/** Where an engine may answer. Tried in order; the first that answers a ping wins. */
export interface EngineStrategy {
  getName(): string;
  /** Connection options when this strategy applies here, undefined when it does not. */
  detect(logger: Logger): Promise<Docker.DockerOptions | undefined>;
  /** When true, a failure here stops the search (an explicit choice such as DOCKER_HOST). */
  readonly authoritative: boolean;
  /** How long its first ping may take (default: discoverEngine's). */
  pingTimeoutMs?(): number | undefined;
  /** What to tell people when it does not answer (default: how to start a local engine). */
  advice?(): string | undefined;
}

export interface DiscoveredEngine {
  docker: Docker;
  endpoint: string;
  /** Ends the connections kept for it (an ssh engine keeps ssh sessions open). */
  close(): void;
}

/**
 * The engine the environment names explicitly (DOCKER_HOST), if any. It is a choice, not a hint:
 * when it does not answer, every command fails, even one that could run without the engine
 * (through a project's in-container runner).
 */
export function explicitEngineHost(env: NodeJS.ProcessEnv): string | undefined {
  return env.DOCKER_HOST ? env.DOCKER_HOST : undefined;
}

export function dockerHostStrategy(env: NodeJS.ProcessEnv): EngineStrategy {
  return {
    getName: () => `DOCKER_HOST=${env.DOCKER_HOST ?? ''}`,
    authoritative: true,
    pingTimeoutMs: () => (isSshHost(env.DOCKER_HOST) ? SSH_PING_TIMEOUT_MS : undefined),
    advice: () => (isSshHost(env.DOCKER_HOST) ? SSH_ADVICE : undefined),
    async detect(logger) {
      const host = explicitEngineHost(env);
      if (!host) return undefined;
      if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
      if (isSshHost(host)) return sshEngineOptions(host, env, logger);
      const url = new URL(host.replace(/^tcp:/, env.DOCKER_TLS_VERIFY ? 'https:' : 'http:'));
      return {
        host: url.hostname,
        port: Number(url.port || (url.protocol === 'https:' ? 2376 : 2375)),
        protocol: url.protocol === 'https:' ? 'https' : 'http',
      };
    },
  };
}

export function socketStrategy(name: string, socketPath: string): EngineStrategy {
  return {
    getName: () => `${name} (${socketPath})`,
    authoritative: false,
    async detect() {
      return existsSync(socketPath) ? { socketPath } : undefined;
    },
  };
}

export function defaultStrategies(env: NodeJS.ProcessEnv = process.env): EngineStrategy[] {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const runtimeDir = env.XDG_RUNTIME_DIR ?? (uid !== undefined ? `/run/user/${uid}` : undefined);
  const strategies = [dockerHostStrategy(env), socketStrategy('docker socket', '/var/run/docker.sock')];
  if (runtimeDir) strategies.push(socketStrategy('podman socket', `${runtimeDir}/podman/podman.sock`));
  strategies.push(socketStrategy('podman socket', '/run/podman/podman.sock'));
  return strategies;
}

const HOW_TO_START =
  'Start one: as root run scripts/bootstrap-engine.sh from the berth checkout (installs and starts Docker), ' +
  'or `sudo systemctl start docker`, or point DOCKER_HOST at a running engine.';

/** Tries each strategy in order, logging every attempt at debug level. */
export async function discoverEngine(
  strategies: EngineStrategy[],
  logger: Logger,
  pingTimeoutMs = 3000,
): Promise<DiscoveredEngine> {
  const tried: string[] = [];
  let advice = HOW_TO_START;
  let lastError: unknown;
  // loaded on first use: dockerode pulls in ssh2 and grpc, a tenth of a second of start-up
  const { default: DockerClient } = await import('dockerode');
  for (const strategy of strategies) {
    const options = await strategy.detect(logger);
    if (!options) {
      logger.debug({ strategy: strategy.getName() }, 'engine strategy does not apply');
      continue;
    }
    const docker = new DockerClient({ ...options, timeout: undefined });
    const agent = (options as { agent?: unknown }).agent;
    const close = () => {
      if (agent instanceof Agent) agent.destroy();
    };
    try {
      await withTimeout(docker.ping(), strategy.pingTimeoutMs?.() ?? pingTimeoutMs);
      logger.debug({ strategy: strategy.getName() }, 'engine answered');
      logEngineCalls(docker, logger);
      return { docker, endpoint: strategy.getName(), close };
    } catch (err) {
      close();
      lastError = err;
      const reason = describeError(err).replace(/\.$/, '');
      logger.debug({ strategy: strategy.getName(), reason }, 'engine did not answer');
      tried.push(`${strategy.getName()}: ${reason}`);
      if (strategy.authoritative) {
        advice = strategy.advice?.() ?? advice;
        break;
      }
    }
  }
  const triedText = tried.length > 0 ? ` Tried ${tried.join('; ')}` : ' No engine socket was found';
  throw new BerthError(
    'ENGINE_UNREACHABLE',
    `No container engine is reachable.${triedText}. ${advice}`,
    {
      tried,
    },
    { cause: lastError },
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolvePromise(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
