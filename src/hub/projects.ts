import type { ProjectConfig } from '../config/types.js';
import type { ExecRequest, ExecResult } from '../exec/run-exec.js';
import type { ContainerRole } from '../runtime/labels.js';
import type { ExecRecord } from '../store/store.js';

/**
 * What entry points need from the projects of a hub, in its own words. `Hub` does it with the
 * engine in this process; `RemoteProjects` does it through the ops side-car, holding no engine
 * socket. Nothing but a composition root needs to know which one it has.
 */
export interface ProjectService {
  project(name: string): ProjectConfig;
  status(names?: string[]): Promise<ProjectStatus[]>;
  /** Brings projects to their configured state (the side-car does it on demand: nothing here). */
  up(names?: string[]): Promise<UpResult[]>;
  exec(name: string, argv: string[], options?: ExecOptions): Promise<ExecResult>;
  test(names?: string[], options?: TestOptions): Promise<TestReport>;
}

export interface ExecOptions extends Omit<ExecRequest, 'argv'> {
  source?: ExecRecord['source'];
  /** A stopped or missing project container is brought up once, then the command runs. */
  startIfStopped?: boolean;
}

export interface TestOptions {
  timeoutMs?: number;
  onOutput?: (project: string, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

export type TestStatus = 'passed' | 'failed' | 'timed-out' | 'skipped' | 'error';

export interface ProjectTestResult {
  project: string;
  status: TestStatus;
  command: string | null;
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Why a project was skipped or errored. */
  message?: string;
}

export interface TestReport {
  ok: boolean;
  results: ProjectTestResult[];
}

export type ProjectState = 'running' | 'stopped' | 'missing';

export interface ProjectStatus {
  name: string;
  state: ProjectState;
  /** healthy | unhealthy | starting | none (no health check) | missing */
  health: string;
  containerId: string | null;
  image: string;
  uptimeSeconds: number | null;
  path: string;
  /** The engine's own state word (running, exited, created, ...), or null when missing. */
  engineState: string | null;
  /**
   * Every member of the project's unit, the `project` container first (the fields above are
   * its own), then one per further role that applies or still has a container.
   */
  members: MemberStatus[];
}

export interface MemberStatus {
  role: ContainerRole;
  state: ProjectState;
  /** healthy | unhealthy | starting | none (no health check) | missing */
  health: string;
  containerId: string | null;
  uptimeSeconds: number | null;
  /** Published ports: container port → where the host reaches it. */
  ports: { containerPort: number; host: string; hostPort: number }[];
}

export type UpAction = 'created' | 'recreated' | 'started' | 'unchanged';

export interface UpResult {
  project: string;
  /** The project container's (see members for the others). */
  action: UpAction;
  containerId: string;
  image: string;
  members: MemberUp[];
}

export interface MemberUp {
  role: ContainerRole;
  action: UpAction;
  containerId: string;
}

export interface DownOptions {
  /** Also remove the named volumes of the projects' members (kept by default). */
  volumes?: boolean;
}

export interface DownResult {
  project: string;
  containerId: string;
  role: ContainerRole;
}
