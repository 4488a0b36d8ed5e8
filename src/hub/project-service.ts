import type { ProjectConfig } from '../config/types.js';
import type { ExecResult } from '../exec/run-exec.js';
import type { ProjectStatus } from './hub-status.js';
import type { TestReport } from './hub-test.js';
import type { HubExecOptions, TestOptions } from './hub.js';

/**
 * What entry points need from the projects of a hub. `Hub` does it with the engine in this
 * process; `RemoteProjects` does it through the ops side-car, holding no engine socket.
 */
export interface ProjectService {
  project(name: string): ProjectConfig;
  status(names?: string[]): Promise<ProjectStatus[]>;
  /** Brings projects up (a no-op where the side-car does it on demand). */
  up(names?: string[]): Promise<unknown>;
  exec(name: string, argv: string[], options?: HubExecOptions): Promise<ExecResult>;
  test(names?: string[], options?: TestOptions): Promise<TestReport>;
}
