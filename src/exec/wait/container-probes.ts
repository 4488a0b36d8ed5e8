import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import { probeShell } from '../shell-probe.js';
import type { ContainerProbes } from './wait-strategy.js';

/** Log output read per attempt, from the end. */
const LOG_TAIL_LINES = 500;

/** The probes of one container, through the runtime. */
export function containerProbes(runtime: ContainerRuntime, id: string): ContainerProbes {
  return {
    shell: () => probeShell(runtime, id),
    async address(port) {
      const info = await runtime.containers.inspect(id);
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
