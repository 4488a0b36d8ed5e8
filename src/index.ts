export { BerthError, type BerthErrorCode } from './errors.js';
export { loadConfig, parseConfig } from './config/load-config.js';
export type { HubConfig, ProjectConfig } from './config/types.js';
export type {
  ContainerRuntime,
  ContainerSpec,
  ContainerInfo,
  RuntimeCapabilities,
} from './runtime/container-runtime.js';
export { hardenedSpec } from './runtime/hardened-spec.js';
export { DockerRuntime } from './runtime/docker/docker-runtime.js';
export { runExec, type ExecRequest, type ExecResult } from './exec/run-exec.js';
export { Store, berthHome } from './store/store.js';
export { openBerth, type Berth, type OpenBerthOptions } from './app/open-berth.js';
export { Hub, type HubDeps } from './hub/hub.js';
export type {
  ProjectService,
  ExecOptions,
  ProjectStatus,
  TestReport,
  ProjectTestResult,
  UpResult,
  DownResult,
  DownOptions,
  MemberStatus,
  MemberUp,
} from './hub/projects.js';
export { memberName, memberVolume } from './hub/unit-role.js';
export type { UnitRole, MemberContext, MemberPlan } from './hub/unit-role.js';
export { httpBelow500, logLine, shellReady, tcpPort, allOf } from './exec/wait/strategies.js';
export type { WaitStrategy } from './exec/wait/wait-strategy.js';
export { createLogger, silentLogger } from './logger.js';
