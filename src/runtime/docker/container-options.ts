import type Docker from 'dockerode';
import { KEEPALIVE_CMD, RUNNER_CMD, RUNNER_MOUNT } from '../agent/main-process.js';
import type { ContainerSpec } from '../container-spec.js';
import { GVISOR_RUNTIME, pidLimits } from './gvisor.js';

/** The label that says a container runs berth's agent (its folder is named after the container). */
export const AGENT_LABEL = 'berth.agent';

/**
 * Translates berth's intent into Engine API create options. Nothing else is settable.
 * `agentDir`: the host folder to serve the agent through, when the agent can run here; without
 * it an `agent` spec runs the plain keep-alive and every command goes through the engine.
 */
export function toCreateOptions(spec: ContainerSpec, agentDir?: string): Docker.ContainerCreateOptions {
  const networkMode = spec.network.mode === 'network' ? spec.network.name : spec.network.mode;
  const mounts =
    agentDir !== undefined ? [...spec.mounts, { source: agentDir, target: RUNNER_MOUNT }] : spec.mounts;
  const { pidsLimit, nproc } = pidLimits(spec);
  const hostConfig: Docker.HostConfig = {
    Mounts: [
      ...mounts.map((m) => ({
        Type: 'bind' as const,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly ?? false,
      })),
      ...(spec.volumes ?? []).map((v) => ({
        Type: 'volume' as const,
        Source: v.name,
        Target: v.target,
        ReadOnly: v.readOnly ?? false,
        // the labels a volume the mount creates gets (create() makes it labelled first anyway)
        VolumeOptions: { Labels: v.labels } as Docker.MountSettings['VolumeOptions'],
      })),
      ...(spec.tmpfs ?? []).map((t) => ({
        Type: 'tmpfs' as const,
        Source: '',
        Target: t.target,
        TmpfsOptions: {
          ...(t.sizeBytes !== undefined ? { SizeBytes: t.sizeBytes } : {}),
          Mode: t.mode ?? 0o1777,
        } as Docker.MountSettings['TmpfsOptions'],
      })),
    ],
    NetworkMode: networkMode,
    CapDrop: spec.security.capDrop,
    CapAdd: spec.security.capAdd,
    SecurityOpt: spec.security.noNewPrivileges ? ['no-new-privileges:true'] : [],
    ReadonlyRootfs: spec.security.readOnlyRootfs,
    NanoCpus: Math.round(spec.resources.cpus * 1e9),
    Memory: spec.resources.memoryBytes,
    MemorySwap: spec.resources.memoryBytes,
    PidsLimit: pidsLimit,
    RestartPolicy: { Name: spec.keepAlive ? 'unless-stopped' : '' },
    Init: spec.init,
  };
  const exposed: Record<string, object> = {};
  if (spec.ports?.length) {
    const bindings: Docker.PortMap = {};
    for (const p of spec.ports) {
      const key = `${p.containerPort}/${p.protocol ?? 'tcp'}`;
      exposed[key] = {};
      // an empty host port: the engine picks a free one
      const binding = { HostIp: p.hostIp ?? '127.0.0.1', HostPort: p.hostPort ? String(p.hostPort) : '' };
      (bindings[key] ??= []).push(binding);
    }
    hostConfig.PortBindings = bindings;
  }
  if (spec.isolation === 'strong') hostConfig.Runtime = GVISOR_RUNTIME;
  if (nproc !== undefined) hostConfig.Ulimits = [{ Name: 'nproc', Soft: nproc, Hard: nproc }];
  const cmd = spec.agent ? (agentDir !== undefined ? RUNNER_CMD : KEEPALIVE_CMD) : spec.cmd;
  const options: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Labels: agentDir !== undefined ? { ...spec.labels, [AGENT_LABEL]: 'runner' } : spec.labels,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    HostConfig: hostConfig,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
  };
  if (cmd !== undefined) options.Cmd = cmd;
  if (Object.keys(exposed).length > 0) options.ExposedPorts = exposed;
  if (spec.healthCheck) {
    const h = spec.healthCheck;
    const ns = (ms: number) => Math.round(ms * 1e6);
    options.Healthcheck = {
      Test: ['CMD', ...h.cmd],
      Interval: ns(h.intervalMs),
      Timeout: ns(h.timeoutMs),
      Retries: h.retries,
      StartPeriod: ns(h.startPeriodMs),
    };
  }
  if (spec.user !== undefined) options.User = spec.user;
  if (spec.workingDir !== undefined) options.WorkingDir = spec.workingDir;
  if (spec.hostname !== undefined) options.Hostname = spec.hostname;
  return options;
}
