import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import { probeShell } from '../shell-probe.js';
import type { ContainerProbes } from './wait-strategy.js';

/** Log output read per attempt, from the end. */
const LOG_TAIL_LINES = 500;

/**
 * The probes of one container, through the runtime. A port the container publishes is reached
 * through the host port it got (the way a person's browser reaches it); any other port through
 * the container's address on its network.
 */
export function containerProbes(runtime: ContainerRuntime, id: string): ContainerProbes {
  return {
    shell: () => probeShell(runtime, id),
    async address(port) {
      const info = await runtime.containers.inspect(id);
      const published = info?.ports.find((p) => p.containerPort === port && p.protocol === 'tcp');
      if (published) return { host: reachableHost(published.hostIp), port: published.hostPort };
      const ip = Object.values(info?.ipAddresses ?? {}).find((a): a is string => a !== '');
      return ip === undefined ? undefined : { host: ip, port };
    },
    async logs() {
      let text = '';
      const add = (c: Buffer) => {
        text += c.toString();
      };
      await runtime.containers.logs(id, {
        follow: false,
        tail: LOG_TAIL_LINES,
        onStdout: add,
        onStderr: add,
      });
      return text;
    },
    async running() {
      return (await runtime.containers.inspect(id))?.state === 'running';
    },
  };
}

/** A port bound to every address is reached on loopback. */
function reachableHost(hostIp: string): string {
  if (hostIp === '' || hostIp === '0.0.0.0') return '127.0.0.1';
  if (hostIp === '::') return '::1';
  return hostIp;
}
