export type NetworkMode = 'isolated' | 'none' | 'bridge';

export interface ProjectResources {
  cpus: number;
  memoryBytes: number;
  pids: number;
}

export interface ProjectBuild {
  /** Absolute path of the build context. */
  context: string;
  /** Dockerfile path relative to the context. */
  dockerfile: string;
  args: Record<string, string>;
}

/** One project, fully resolved: absolute paths, defaults applied. */
export interface ProjectConfig {
  name: string;
  /** Absolute host folder, bind-mounted at /workspace. */
  path: string;
  image?: string;
  build?: ProjectBuild;
  commands: Record<string, string>;
  env: Record<string, string>;
  resources: ProjectResources;
  network: NetworkMode;
  /** `bind` (default): the folder is bind-mounted; `sync`: a volume kept in two-way sync with it. */
  workspace: WorkspaceMode;
  sync: ProjectSync;
}

export type WorkspaceMode = 'bind' | 'sync';

/** berth.yaml `sync:` of a project (used when `workspace: sync`), defaults applied. */
export interface ProjectSync {
  /** gitignore-style rules, evaluated on the host for both sides; `.git` is in the defaults. */
  ignore: string[];
  /** Who owns the files in the volume; default the image's numeric user, else 0:0. */
  owner?: { uid: number; gid: number };
  /** The attic's size cap on each side (what sync replaced or deleted, kept). */
  atticMaxBytes: number;
}

/** Paths a sync never carries unless a rule un-ignores them (`!.git`). */
export const DEFAULT_SYNC_IGNORE = ['.git'];
export const DEFAULT_SYNC: ProjectSync = { ignore: [...DEFAULT_SYNC_IGNORE], atticMaxBytes: 1024 ** 3 };

/** The ops side-car's policy (berth.yaml `ops:`), defaults applied. */
export interface OpsPolicyConfig {
  /** undefined: every berth project, and no Compose project. */
  allowTargets?: string[];
  denyCommands: string[];
  maxConcurrent: number;
  defaultTimeoutMs: number;
  /** Where `berth run` and split-mode MCP find the side-car. */
  url?: string;
}

export const DEFAULT_OPS: OpsPolicyConfig = {
  denyCommands: [],
  maxConcurrent: 8,
  defaultTimeoutMs: 10 * 60 * 1000,
};

export interface HubConfig {
  /** Absolute path of the config file, or undefined in folder mode. */
  file?: string;
  /** Short stable id of this hub (from the config file or folder path); labels carry it. */
  hubId: string;
  projects: ProjectConfig[];
  ops: OpsPolicyConfig;
}

export const DEFAULT_RESOURCES: ProjectResources = { cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 1024 };
export const DEFAULT_IMAGE = 'berth-test/toolchain';
