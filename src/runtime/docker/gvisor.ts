import type { ContainerSpec, IsolationLevel } from '../container-spec.js';
import type { IsolationOffer } from '../capabilities.js';

/** The OCI runtime Docker knows gVisor by: `strong` isolation on this engine. */
export const GVISOR_RUNTIME = 'runsc';
/** The engine's default OCI runtime: `standard` isolation. */
const DEFAULT_RUNTIME = 'runc';

/** Docker's isolation levels by the names people know them by, given the engine's runtimes. */
export function dockerIsolationOffers(engineRuntimes: string[]): IsolationOffer[] {
  const gvisor = engineRuntimes.includes(GVISOR_RUNTIME);
  return [
    { level: 'standard', name: DEFAULT_RUNTIME, available: true },
    {
      level: 'strong',
      name: GVISOR_RUNTIME,
      available: gvisor,
      ...(gvisor
        ? {}
        : { advice: 'gVisor is not registered with this engine; run scripts/bootstrap-engine.sh' }),
    },
    { level: 'strong', name: 'firecracker', available: false, advice: 'it needs KVM' },
  ];
}

/** gVisor keeps FIFOs to itself: the agent's host FIFOs do not reach a process inside it. */
export function agentWorksUnder(isolation: IsolationLevel): boolean {
  return isolation !== 'strong';
}

/**
 * On runc the pids cgroup bounds the container. Under gVisor (ptrace platform) each task of the
 * sandbox costs host threads too: about 9 for an idle task and over 50 during a fork storm
 * (measured), and the sentry dies when the cgroup refuses it one. So there the task limit is
 * RLIMIT_NPROC, which gVisor enforces inside the sandbox (the workload runs as one non-root
 * uid), and the host pids limit is a backstop that leaves room for idle tasks but protects the
 * host's pid space (32768 on many hosts): a fork storm may still end the sandbox, which the
 * next call reports and berth restarts. RLIMIT_NPROC is not used on runc unless asked for: there
 * it would count the uid's processes across the whole host.
 */
export function pidLimits(spec: ContainerSpec): { pidsLimit: number; nproc?: number } {
  const { pids, nproc } = spec.resources;
  if (spec.isolation === 'strong') return { pidsLimit: 1024 + 16 * pids, nproc: nproc ?? pids };
  return nproc !== undefined ? { pidsLimit: pids, nproc } : { pidsLimit: pids };
}
