import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseSize } from '../config/sizes.js';
import { DEFAULT_IMAGE } from '../config/types.js';
import { BerthError, isBerthError } from '../errors.js';
import type { ExecRequest, ExecResult } from '../exec/run-exec.js';
import { containerProbes } from '../exec/wait/container-probes.js';
import { shellReady } from '../exec/wait/strategies.js';
import { waitUntilReady } from '../exec/wait/wait-strategy.js';
import { startIfStopped } from '../exec/start-if-stopped.js';
import type { Logger } from '../logger.js';
import { chooseIsolation, type IsolationChoice } from '../runtime/capabilities.js';
import type { ContainerRuntime, ExecTarget } from '../runtime/container-runtime.js';
import { hardenedSpec } from '../runtime/hardened-spec.js';
import { LABEL } from '../runtime/labels.js';
import type { SessionRecord, SessionTable } from '../store/session-table.js';
import { listFolder, removePath, removePathAsync } from '../workspace/path-ops.js';
import { chownTreeAt } from '../workspace/tree-chown.js';
import { populateSandbox } from './sandbox-copy.js';
import { writeBranchToHost } from './host-branch.js';
import { processAlive } from '../workspace/process-alive.js';
import { recoverApplies } from './apply-journal.js';
import { withFolderLock } from '../workspace/folder-lock.js';
import { applySession, type ApplyReport, type SessionApplyOptions } from './session-apply.js';
import { findTrash, listTrash, restoreFromTrash, type RestoreReport, type TrashApply } from './trash.js';
import { execInSandbox } from './sandbox-exec.js';
import { SandboxGit } from './sandbox-git.js';
import { WorkspacePlacement } from '../workspace/placement.js';

/** In a sandbox root while its start runs: the pid of the process starting it. */
const STARTING_FILE = 'starting.pid';

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The sandbox container of a session (its name is how the runtime finds the sandbox's agent). */
function sandboxName(id: string): string {
  return `berth-session-${id}`;
}

/** Runs one step of a start, telling `onStep` how long it took. */
function stepTimer(onStep: StartOptions['onStep']) {
  return async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await work();
    onStep?.(name, performance.now() - started);
    return value;
  };
}

/** The unprivileged user every session runs as. */
const SESSION_UID = 1000;

const DEFAULT_MEMORY = '1g';
const DEFAULT_PIDS = 256;
/** How long a new sandbox has to run a shell (gVisor takes a moment after start). */
const SANDBOX_READY_MS = 10_000;

/**
 * How isolated a session is: `auto` (the strongest the runtime has here, gVisor on Docker when
 * it is registered), a level (`standard`, `strong`), or a name the runtime offers (see
 * RuntimeCapabilities.isolationLevels).
 */
export type RuntimeChoice = string;

export interface StartOptions {
  /** The host folder to copy. */
  path: string;
  project?: string;
  image?: string;
  runtime?: RuntimeChoice;
  network?: 'none' | 'bridge';
  cpus?: number;
  memory?: string;
  pids?: number;
  includeIgnored?: boolean;
  onProgress?: (line: string) => void;
  /** Told how long each step of the start took, in the order they run (for measurements). */
  onStep?: (name: string, ms: number) => void;
}

export interface SessionStep {
  step: number;
  commit: string;
  message: string;
  at: string;
}

export interface SessionsDeps {
  runtime: ContainerRuntime;
  table: SessionTable;
  logger: Logger;
  /** BERTH_HOME: sandboxes live in sessions/<id>. */
  home: string;
}

/**
 * Sandboxed sessions: a copy of a project in a locked-down container (no network, no
 * capabilities, not root, limits, gVisor when the engine has it), where every command that
 * changes anything becomes a git commit in a repository the container cannot see.
 */
export class Sessions {
  /** Per session, the last tool call queued (see oneAtATime); within this process only. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly deps: SessionsDeps) {}

  private paths(id: string) {
    const root = join(this.deps.home, 'sessions', id);
    return { root, workspace: join(root, 'workspace'), git: join(root, 'git') };
  }

  async start(options: StartOptions): Promise<SessionRecord> {
    const step = stepTimer(options.onStep);
    const hostPath = resolve(options.path);
    if (!existsSync(hostPath) || !statSync(hostPath).isDirectory()) {
      throw new BerthError(
        'PATH_INVALID',
        `path ${hostPath} is not a folder; give the project folder to copy`,
      );
    }
    const isolation = await step('isolation choice', () => this.chooseIsolation(options.runtime ?? 'auto'));
    const image = options.image ?? DEFAULT_IMAGE;
    if (!(await step('image check', () => this.deps.runtime.images.inspect(image)))) {
      throw new BerthError(
        'IMAGE_UNAVAILABLE',
        `image ${image} is not present locally; build it or pick another with --image`,
      );
    }
    const memoryBytes = parseSize(options.memory ?? DEFAULT_MEMORY);
    if (memoryBytes === undefined || memoryBytes < 6 * 1024 * 1024) {
      throw new BerthError(
        'INVALID_ARGUMENT',
        `memory ${options.memory}: give a size of at least 6m, such as 512m or 1g`,
      );
    }
    const id = `s-${randomBytes(5).toString('hex')}`;
    const paths = this.paths(id);
    const network = options.network ?? 'none';
    const memory = options.memory ?? DEFAULT_MEMORY;
    const pids = options.pids ?? DEFAULT_PIDS;
    const cpus = options.cpus ?? 1;
    this.deps.table.insert({
      id,
      project: options.project ?? null,
      hostPath,
      runtime: isolation.name,
      network,
      image,
      memory,
      pids,
      cpus,
    });
    let containerId: string | undefined;
    try {
      // who is starting it: a start whose process is gone is cleaned up by recover()
      mkdirSync(paths.root, { recursive: true, mode: 0o700 });
      writeFileSync(join(paths.root, STARTING_FILE), `${process.pid}\n`);
      const populated = await step('sandbox copy and baseline commit', () =>
        populateSandbox(hostPath, paths.git, paths.workspace, {
          includeIgnored: options.includeIgnored ?? false,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        }),
      );
      await step('chown', () => chownTreeAt(paths.workspace, SESSION_UID, SESSION_UID));
      options.onProgress?.('starting the sandbox container');
      const placement = this.placement(id);
      const spec = hardenedSpec({
        name: sandboxName(id),
        image,
        // the runtime's agent serves the calls where it can (it keeps the sandbox alive either way)
        agent: true,
        isolation: isolation.level,
        labels: {
          [LABEL.session]: id,
          [LABEL.role]: 'session',
          ...(options.project ? { [LABEL.project]: options.project } : {}),
        },
        env: { HOME: '/tmp', BERTH_SESSION: id },
        user: `${SESSION_UID}:${SESSION_UID}`,
        workingDir: placement.containerPath(),
        hostname: id,
        mounts: [placement.bindMount()],
        network: network === 'none' ? { mode: 'none' } : { mode: 'bridge' },
        limits: { cpus, memoryBytes, pids },
      });
      const created = await step('container create', () => this.deps.runtime.containers.create(spec));
      containerId = created;
      await step('container start', () => this.deps.runtime.containers.start(created));
      await step('readiness', () => this.waitReady(created));
      this.deps.table.started(id, containerId, populated.baseline);
      removePath(join(paths.root, STARTING_FILE));
      return this.get(id);
    } catch (err) {
      if (containerId) await this.deps.runtime.containers.remove(containerId).catch(() => undefined);
      removePath(paths.root);
      this.deps.table.ended(id, 'failed');
      throw err;
    }
  }

  /**
   * Cleans up after berth processes that were killed mid-way: a session left `starting` by a
   * process that is gone has its container and sandbox removed and is marked failed. Returns the
   * ids it cleaned. The CLI and the MCP server call this once when they open the sessions.
   */
  async recover(): Promise<string[]> {
    // an apply a kill interrupted: each file is put back or finished, the session stays open
    await recoverApplies(this.deps.home);
    const cleaned: string[] = [];
    for (const session of this.deps.table.list()) {
      if (session.state !== 'starting') continue;
      const owner = Number.parseInt(readIfExists(join(this.paths(session.id).root, STARTING_FILE)) ?? '', 10);
      if (processAlive(owner)) continue;
      for (const c of await this.deps.runtime.containers.list({ [LABEL.session]: session.id })) {
        await this.deps.runtime.containers.remove(c.id).catch(() => undefined);
      }
      this.removeSandbox(session.id);
      this.deps.table.ended(session.id, 'failed');
      cleaned.push(session.id);
    }
    // a container the engine finished creating after its start was killed (and after an earlier
    // recover ran): its session, one of this home's, has ended
    for (const c of await this.deps.runtime.containers.list({ [LABEL.role]: 'session' })) {
      const record = this.deps.table.get(c.labels[LABEL.session] ?? '');
      if (!record || record.state === 'running' || record.state === 'starting') continue;
      await this.deps.runtime.containers.remove(c.id).catch(() => undefined);
    }
    return cleaned;
  }

  get(id: string): SessionRecord {
    const record = this.deps.table.get(id);
    if (!record)
      throw new BerthError('UNKNOWN_SESSION', `unknown session "${id}"; see \`berth session list\``);
    return record;
  }

  list(): SessionRecord[] {
    return this.deps.table.list();
  }

  /**
   * Runs a command; if it changed the workspace, that change becomes one commit. Processes the
   * command leaves behind end with it. A sandbox that stopped, or that holds processes nothing
   * can end, is restarted: the workspace and the steps are kept.
   */
  async exec(
    id: string,
    argv: string[],
    options: Omit<ExecRequest, 'argv' | 'marker' | 'kill'> & { label?: string } = {},
  ): Promise<ExecResult & { commit?: string }> {
    // the end of a call stops every process in the sandbox, a sibling call's too: one at a time
    return this.serial(id, 'a tool call', () => this.execNow(id, argv, options));
  }

  private async execNow(
    id: string,
    argv: string[],
    options: Omit<ExecRequest, 'argv' | 'marker' | 'kill'> & { label?: string },
  ): Promise<ExecResult & { commit?: string }> {
    const session = this.running(id);
    const containerId = session.containerId!;
    const memory = session.memory ?? DEFAULT_MEMORY;
    const request = { ...options, argv };
    const target = { name: sandboxName(id), id: containerId } satisfies ExecTarget;
    // stopped between calls (an engine restart, a host reboot): brought back once
    const outcome = await startIfStopped(
      () => execInSandbox(this.deps.runtime, target, request, memory),
      () => this.restartSandbox(containerId),
    );
    const { result } = outcome;
    if (outcome.restart) await this.restartSandbox(containerId);
    const label = options.label ?? `run_command ${JSON.stringify(argv.join(' '))}`;
    const commit = await this.git(id).commitAll(
      `${label} (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''})`,
    );
    return commit ? { ...result, commit } : result;
  }

  /**
   * Everything that runs in a session's sandbox or commits its workspace (tool calls, file-tool
   * steps, rollback, apply, merge, discard) runs one at a time: in this process through a queue,
   * across berth processes (the CLI beside an MCP server) through the sandbox's folder lock. So a
   * commit never walks the workspace while a command of the agent's runs.
   */
  private serial<T>(id: string, what: string, work: () => Promise<T>): Promise<T> {
    return this.oneAtATime(id, () =>
      existsSync(this.paths(id).root)
        ? withFolderLock(this.deps.home, this.paths(id).root, `${what} in session ${id}`, work)
        : work(),
    );
  }

  /** Runs `work` after every call of the session queued before it has settled. */
  private oneAtATime<T>(id: string, work: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(id) ?? Promise.resolve()).then(work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return run;
  }

  /** Where a session's files are: its sandbox folder, bind-mounted into its container. */
  placement(id: string): WorkspacePlacement {
    return WorkspacePlacement.bind(this.paths(id).workspace);
  }

  /** The placement of a running session (for the file tools). */
  runningPlacement(id: string): WorkspacePlacement {
    this.running(id);
    return this.placement(id);
  }

  /** The sandbox folder of a running session. */
  workspacePath(id: string): string {
    return this.runningPlacement(id).hostPath();
  }

  /** Records whatever a tool changed as one step; no step when nothing changed. */
  async commitStep(id: string, label: string): Promise<string | undefined> {
    this.running(id);
    return this.serial(id, 'a file-tool step', () => this.git(id).commitAll(label));
  }

  /** The baseline (step 0) and every commit since, oldest first. */
  async log(id: string): Promise<SessionStep[]> {
    const session = this.withHistory(id);
    const format = '--format=%H%x09%cI%x09%s';
    const git = this.git(id);
    const baseline = await git.run(['log', '-1', format, session.baseline!]);
    const rest = await git.run(['log', '--reverse', format, `${session.baseline}..HEAD`]);
    const lines = [...baseline.split('\n'), ...rest.split('\n')].filter((l) => l.trim() !== '');
    return lines.map((line, step) => {
      const [commit = '', at = '', ...message] = line.split('\t');
      return { step, commit, at, message: message.join('\t') };
    });
  }

  /**
   * Returns the workspace to a step. The return is itself a new step, so nothing in the
   * history is lost: a later rollback can go forward again.
   */
  async rollback(id: string, step: number): Promise<SessionStep> {
    const session = this.running(id);
    return this.serial(id, 'rollback', () =>
      withFolderLock(this.deps.home, session.hostPath, `rollback of session ${id}`, () =>
        this.rollbackNow(id, step),
      ),
    );
  }

  private async rollbackNow(id: string, step: number): Promise<SessionStep> {
    this.running(id);
    const steps = await this.log(id);
    const target = steps[step];
    if (!Number.isInteger(step) || !target) {
      throw new BerthError(
        'INVALID_ARGUMENT',
        `step ${step} does not exist; steps are 0 to ${steps.length - 1} (see \`berth session log\`)`,
      );
    }
    const git = this.git(id);
    await git.commitAll('pending changes before rollback');
    await git.run(['read-tree', '-u', '--reset', target.commit]);
    chownTreeAt(this.paths(id).workspace, SESSION_UID, SESSION_UID);
    await git.run(['commit', '-q', '--allow-empty', '--no-verify', '-m', `rollback to step ${step}`]);
    const after = await this.log(id);
    return after[after.length - 1]!;
  }

  /** Everything the session changed since its baseline (committed steps). */
  async diff(id: string, stat = false): Promise<string> {
    const session = this.withHistory(id);
    // (--binary implies the patch, so the summary goes without it)
    return this.git(id).run([
      'diff',
      '--no-ext-diff',
      '--no-textconv',
      stat ? '--stat' : '--binary',
      `${session.baseline}..HEAD`,
    ]);
  }

  /**
   * Writes the session's changes back to the host folder as a transaction (see
   * session-apply.ts), holding the folder's lock, after finishing any apply a kill interrupted.
   * A full apply ends the session; with `paths` it stays open with the rest.
   */
  async apply(id: string, paths: string[] = [], options: SessionApplyOptions = {}): Promise<ApplyReport> {
    this.running(id);
    // (checked again once its turn comes: a call queued before it may have ended the session)
    return this.serial(id, 'apply', () => this.applyNow(this.running(id), paths, options));
  }

  private async applyNow(
    session: SessionRecord,
    paths: string[],
    options: SessionApplyOptions,
  ): Promise<ApplyReport> {
    const { id } = session;
    const { home } = this.deps;
    return withFolderLock(home, session.hostPath, `apply of session ${id}`, async () => {
      await recoverApplies(home);
      const git = this.git(id);
      // the commit runs while apply walks the workspace (both only read it)
      const head = git
        .commitAll('pending changes before apply')
        .then(async () => (await git.run(['rev-parse', 'HEAD'])).trim());
      const where = this.paths(id);
      const report = await applySession({
        ...options,
        git,
        hostPath: session.hostPath,
        baseline: session.baseline!,
        head,
        sessionId: id,
        only: paths,
        sandboxWorkspace: where.workspace,
        sessionRoot: where.root,
        home,
      });
      if (paths.length === 0) await this.end(id, 'applied');
      return report;
    });
  }

  /**
   * For a host folder that is a git repository: the session's commits become branch
   * `berth/<id>` there; the working tree is left alone. Ends the session.
   */
  async merge(id: string): Promise<{ branch: string; commits: number }> {
    const session = this.running(id);
    return this.serial(id, 'merge', () =>
      withFolderLock(this.deps.home, session.hostPath, `merge of session ${id}`, () =>
        this.mergeNow(this.running(id)),
      ),
    );
  }

  private async mergeNow(session: SessionRecord): Promise<{ branch: string; commits: number }> {
    const { id } = session;
    const git = this.git(id);
    await git.commitAll('pending changes before merge');
    const branch = `berth/${id}`;
    // no git process runs in the host repository: the objects go in as a pack, the branch as a
    // new loose ref, both written through fds (see host-branch.ts)
    await writeBranchToHost(git, session.hostPath, branch, session.baseline!);
    const commits = Number((await git.run(['rev-list', '--count', `${session.baseline}..HEAD`])).trim());
    await this.end(id, 'merged');
    return { branch, commits };
  }

  /** Ends the session without applying anything: container and sandbox are removed. */
  async discard(id: string): Promise<void> {
    await this.serial(id, 'discard', () => this.end(id, 'discarded'));
  }

  private async end(id: string, state: 'discarded' | 'applied' | 'merged'): Promise<void> {
    const session = this.get(id);
    if (session.containerId) await this.deps.runtime.containers.remove(session.containerId);
    this.removeSandbox(id);
    if (session.state === 'running' || session.state === 'starting') this.deps.table.ended(id, state);
  }

  /**
   * Deleting a large sandbox takes a second or more, and nobody needs to wait for it: the folder
   * is moved aside at once (the session is over the moment it is gone from its place) and
   * deleted in the background (a pending delete keeps the CLI process alive until it is done).
   * What a crash left in the trash is swept by the next removal.
   */
  private removeSandbox(id: string): void {
    const trash = join(this.deps.home, 'sessions', '.trash');
    mkdirSync(trash, { recursive: true });
    const aside = join(trash, `${id}-${randomBytes(3).toString('hex')}`);
    try {
      renameSync(this.paths(id).root, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    // another process may be deleting the same leftovers: that is harmless, so only debug
    for (const name of listFolder(trash)) {
      const path = join(trash, name);
      void removePathAsync(path).catch((err: unknown) =>
        this.deps.logger.debug({ err, path }, 'could not delete an ended sandbox yet'),
      );
    }
  }

  private async restartSandbox(containerId: string): Promise<void> {
    this.deps.logger.warn({ container: containerId.slice(0, 12) }, 'restarting a session sandbox');
    await this.deps.runtime.containers.stop(containerId, 0);
    await this.deps.runtime.containers.start(containerId);
    await this.waitReady(containerId);
  }

  /** gVisor can take a moment after start before it accepts an exec. */
  private async waitReady(containerId: string): Promise<void> {
    try {
      await waitUntilReady(shellReady(), containerProbes(this.deps.runtime, containerId), {
        timeoutMs: SANDBOX_READY_MS,
        subject: 'the session container',
      });
    } catch (err) {
      if (!isBerthError(err, 'NOT_READY')) throw err;
      throw new BerthError(
        'NOT_READY',
        `the session container did not become ready (${err.message.slice(0, 300)})`,
        err.details,
        { cause: err },
      );
    }
  }

  /**
   * A session whose steps can still be read: every way a session ends removes its sandbox, and
   * its git history with it, so an ended one says so instead of failing inside git.
   */
  private withHistory(id: string): SessionRecord {
    const session = this.get(id);
    if (session.state === 'running' && session.baseline) return session;
    const when = session.endedAt ? ` at ${session.endedAt}` : '';
    throw new BerthError(
      session.state === 'starting' ? 'NOT_READY' : 'SESSION_ENDED',
      session.state === 'starting'
        ? `session "${id}" is still starting; try again in a moment`
        : `session "${id}" ended (${session.state}${when}) and its sandbox was removed, so its steps and diff are gone; see \`berth session list\``,
    );
  }

  private running(id: string): SessionRecord {
    const session = this.get(id);
    if (session.state !== 'running' || !session.containerId) {
      throw new BerthError(
        'NOT_RUNNING',
        `session "${id}" is ${session.state}; start a new one with \`berth session start\``,
      );
    }
    return session;
  }

  private git(id: string): SandboxGit {
    const paths = this.paths(id);
    return new SandboxGit(paths.git, paths.workspace);
  }

  /** Validated before anything changes: an isolation this runtime cannot give is refused. */
  private async chooseIsolation(choice: RuntimeChoice): Promise<IsolationChoice> {
    return chooseIsolation((await this.deps.runtime.capabilities()).isolationLevels, choice);
  }

  /** Puts back what applies deleted or replaced: of one apply id, or of every apply of a session. */
  async restore(key: string, paths: string[] = []): Promise<RestoreReport[]> {
    const { home } = this.deps;
    await recoverApplies(home);
    const out: RestoreReport[] = [];
    for (const apply of findTrash(home, key)) {
      out.push(
        await withFolderLock(home, apply.hostPath, `restore of ${apply.applyId}`, async () =>
          restoreFromTrash(home, apply, paths),
        ),
      );
    }
    return out;
  }

  /** What the applies' trash holds, newest apply first. */
  async trash(): Promise<TrashApply[]> {
    await recoverApplies(this.deps.home);
    return listTrash(this.deps.home);
  }
}
