import type Docker from 'dockerode';
import type { ContainerSpec } from '../container-runtime.js';

/** Translates berth's engine-neutral spec into Engine API create options. Nothing else is settable. */
export function toCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const networkMode = spec.network.mode === 'network' ? spec.network.name : spec.network.mode;
  const hostConfig: Docker.HostConfig = {
    Mounts: spec.mounts.map((m) => ({
      Type: 'bind',
      Source: m.source,
      Target: m.target,
      ReadOnly: m.readOnly ?? false,
    })),
    NetworkMode: networkMode,
    CapDrop: spec.security.capDrop,
    CapAdd: spec.security.capAdd,
    SecurityOpt: spec.security.noNewPrivileges ? ['no-new-privileges:true'] : [],
    ReadonlyRootfs: spec.security.readOnlyRootfs,
    NanoCpus: spec.resources.nanoCpus,
    Memory: spec.resources.memoryBytes,
    MemorySwap: spec.resources.memoryBytes,
    PidsLimit: spec.resources.pidsLimit,
    RestartPolicy: { Name: spec.restart === 'no' ? '' : spec.restart },
    Init: spec.init,
  };
  if (spec.runtime !== undefined) hostConfig.Runtime = spec.runtime;
  const nproc = spec.resources.nproc;
  if (nproc !== undefined) hostConfig.Ulimits = [{ Name: 'nproc', Soft: nproc, Hard: nproc }];
  const options: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Cmd: spec.cmd,
    Labels: spec.labels,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    HostConfig: hostConfig,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
  };
  if (spec.user !== undefined) options.User = spec.user;
  if (spec.workingDir !== undefined) options.WorkingDir = spec.workingDir;
  if (spec.hostname !== undefined) options.Hostname = spec.hostname;
  return options;
}
