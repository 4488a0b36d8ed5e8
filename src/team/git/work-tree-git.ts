import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';
import type { ContainerRuntime, Labels } from '../../runtime/container-runtime.js';
import { hardenedSpec } from '../../runtime/hardened-spec.js';
import { WorkspacePlacement } from '../../workspace/placement.js';
import { mirrorDirOf, TEAM_GID, TEAM_UID, type TeamRepoPaths } from './team-repo-paths.js';

/** berth's preview image for Node: it has git, and runs as uid 1000 like the previews. */
export const WORK_TREE_GIT_IMAGE = 'berth-preview/node';

/** Where the work tree is in the container: where every other container of berth has it. */
const WORKSPACE = WorkspacePlacement.bind('/').containerRoot;
const GIT_DIR = '/git';
/** The host-only mirror of origin, mounted read-only: where the container fetches from. */
export const MIRROR_DIR = '/origin';
/** The container ends by itself after this, should berth die before removing it. */
const LIFETIME_SECONDS = 900;
/** One git command in the container is bounded too (a huge work tree still takes well under this). */
const COMMAND_TIMEOUT_MS = 10 * 60_000;

/**
 * Every git process in the container runs with these: no config but the git folder's own (which
 * berth wrote and the container sees read-only), no hooks, no fsmonitor, no attributes file, no
 * external diff or textconv, no pager or editor, no transport at all (and no network either).
 */
const CONTAINER_GIT_CONFIG: readonly string[] = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.untrackedCache=false',
  'core.attributesFile=/dev/null',
  'core.pager=cat',
  'core.editor=false',
  'core.sshCommand=false',
  'diff.external=',
  'diff.noprefix=false',
  'merge.renormalize=false',
  'submodule.recurse=false',
  'commit.gpgsign=false',
  'credential.helper=',
  'protocol.allow=never',
  `safe.directory=${GIT_DIR}`,
  `safe.directory=${WORKSPACE}`,
  `safe.directory=${MIRROR_DIR}`,
];

const CONTAINER_GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_ATTR_NOSYSTEM: '1',
  GIT_NO_REPLACE_OBJECTS: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_ALLOW_PROTOCOL: 'none',
  GIT_DIR,
  GIT_COMMON_DIR: GIT_DIR,
  GIT_WORK_TREE: WORKSPACE,
  GIT_PAGER: 'cat',
  GIT_EDITOR: 'false',
  GIT_AUTHOR_NAME: 'berth',
  GIT_AUTHOR_EMAIL: 'berth@localhost',
  GIT_COMMITTER_NAME: 'berth',
  GIT_COMMITTER_EMAIL: 'berth@localhost',
  HOME: '/tmp',
  LC_ALL: 'C',
};

export interface GitOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface WorkTreeGitOptions {
  runtime: ContainerRuntime;
  paths: TeamRepoPaths;
  labels: Labels;
  /** The container's name starts with this (default `berth-team-git`). */
  namePrefix?: string;
  image?: string;
}

/**
 * git over a team's work tree, run in a short-lived locked-down container: the work tree is
 * container-writable, so host git never reads it. The container runs as uid 1000 with no
 * capabilities, no privilege gain and no network; it sees the workspace at /workspace and the git
 * folder at /git, with the git folder's config mounted read-only on top (git there cannot change
 * what host git later reads from it). A `.git` planted in the work tree is never looked at: the
 * git folder is named explicitly.
 */
export class WorkTreeGit {
  private constructor(
    private readonly runtime: ContainerRuntime,
    private readonly id: string,
    private readonly name: string,
  ) {}

  static async start(options: WorkTreeGitOptions): Promise<WorkTreeGit> {
    const { runtime, paths } = options;
    const name = `${options.namePrefix ?? 'berth-team-git'}-${randomBytes(4).toString('hex')}`;
    const spec = hardenedSpec({
      name,
      image: options.image ?? WORK_TREE_GIT_IMAGE,
      labels: options.labels,
      limits: { cpus: 1, memoryBytes: 1024 * 1024 * 1024, pids: 256 },
      user: `${TEAM_UID}:${TEAM_GID}`,
      workingDir: WORKSPACE,
      network: { mode: 'none' },
      mounts: [
        { source: paths.workspace, target: WORKSPACE },
        { source: paths.gitDir, target: GIT_DIR },
        { source: join(paths.gitDir, 'config'), target: `${GIT_DIR}/config`, readOnly: true },
        { source: mirrorDirOf(paths), target: MIRROR_DIR, readOnly: true },
      ],
      cmd: ['sleep', String(LIFETIME_SECONDS)],
    });
    let id: string;
    try {
      id = await runtime.containers.create(spec);
    } catch (err) {
      throw new BerthError(
        'ENGINE_ERROR',
        `the container for git in the team's work tree could not be created (${(err as Error).message}); is the image ${spec.image} built (scripts/bootstrap-engine.sh)?`,
        {},
        { cause: err },
      );
    }
    const git = new WorkTreeGit(runtime, id, name);
    try {
      await runtime.containers.start(id);
    } catch (err) {
      await git.remove();
      throw err;
    }
    return git;
  }

  /**
   * Runs `git <args>` in the container; a non-zero exit is returned, not thrown. `fromMirror`
   * lets this one command use the file transport (to fetch from the read-only mirror); every
   * other command has no transport at all.
   */
  async run(args: string[], fromMirror = false): Promise<GitOutcome> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), COMMAND_TIMEOUT_MS);
    try {
      const { exitCode } = await this.runtime.exec.run(
        { id: this.id, name: this.name },
        {
          cmd: [
            'git',
            ...CONTAINER_GIT_CONFIG.flatMap((kv) => ['-c', kv]),
            ...(fromMirror ? ['-c', 'protocol.file.allow=always'] : []),
            ...args,
          ],
          env: fromMirror ? { ...CONTAINER_GIT_ENV, GIT_ALLOW_PROTOCOL: 'file' } : CONTAINER_GIT_ENV,
          user: `${TEAM_UID}:${TEAM_GID}`,
          workingDir: WORKSPACE,
          onStdout: (b) => void out.push(b),
          onStderr: (b) => void err.push(b),
          signal: stop.signal,
        },
      );
      if (exitCode === undefined)
        throw new BerthError('GIT_FAILED', `git ${args[0]} in the team's work tree did not finish in time`);
      return {
        code: exitCode,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs `git <args>` and returns its stdout; GIT_FAILED with git's words on a non-zero exit. */
  async check(args: string[], doing: string): Promise<string> {
    const r = await this.run(args);
    if (r.code !== 0)
      throw new BerthError(
        'GIT_FAILED',
        `${doing}: git ${args[0]} failed: ${r.stderr.trim() || `exit ${r.code}`}`,
        {
          exitCode: r.code,
        },
      );
    return r.stdout;
  }

  async remove(): Promise<void> {
    await this.runtime.containers.remove(this.id);
  }
}

/** Runs `fn` with a work-tree git container, removed after whatever happens. */
export async function withWorkTreeGit<T>(
  options: WorkTreeGitOptions,
  fn: (git: WorkTreeGit) => Promise<T>,
): Promise<T> {
  const git = await WorkTreeGit.start(options);
  try {
    return await fn(git);
  } finally {
    await git.remove();
  }
}
