import { BerthError, describeError, isBerthError } from '../errors.js';
import type { ContainerInfo, ContainerRuntime } from '../runtime/container-runtime.js';
import { LABEL } from '../runtime/labels.js';
import { lstatAt } from '../workspace/confined-root.js';
import { ConfinedRoot } from '../workspace/confined-root.js';
import * as fs from 'node:fs';
import { bringUp } from './preview-bring-up.js';
import { PREVIEW_LABEL } from './preview-labels.js';
import { PREVIEW_IMAGES, PREVIEW_UID, planPreview, previewImage, type PreviewPlan } from './preview-spec.js';
import { previewUrl, readStatus } from './preview-status.js';
import type { PreviewApp, PreviewStatus, StartOptions } from './preview-types.js';
import { prepareVolumes } from './volume-owner.js';
import { checkPreviewUserAccess } from './workspace-access.js';

export interface PreviewsOptions {
  /** Container and volume names start with it (default "berth"; tests use "berth-test"). */
  namePrefix?: string;
  /** A running dev server that has not answered this long after it started is `unhealthy` (default 3 min). */
  startGraceMs?: number;
  /**
   * Called when a preview this object started stops without a stop() (a crash), as soon as the
   * engine reports the exit, with its status (state `crashed`, exit code, last lines).
   */
  onExit?: (status: PreviewStatus) => void;
  /** Tests only: write the hot-reload canary under this host folder instead of the workspace. */
  canaryHostRoot?: string;
  /** How long the canary waits for its event (default 2 s). */
  canarySettleMs?: number;
}

const USER = `${PREVIEW_UID}:${PREVIEW_UID}`;
const STOP_TIMEOUT_S = 10;

/**
 * The preview containers of team apps (issue 12): one per app, found by labels, so every
 * berth process sees the same state. See preview-spec.ts for what a container is, and
 * preview-bring-up.ts for how it gets to `ready`.
 */
export class Previews {
  private readonly namePrefix: string;
  private readonly watches = new Map<string, AbortController>();
  /** Containers this object is stopping: their exit is no crash. */
  private readonly stopping = new Set<string>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly options: PreviewsOptions = {},
  ) {
    this.namePrefix = options.namePrefix ?? 'berth';
  }

  /**
   * Brings the app's preview to `ready`: a running container with the same spec is kept as it
   * is (its status returned), a stopped one is started again, a changed one is replaced.
   * Throws UP_FAILED (reason CRASHED, with exitCode and lastLines) when the install or the dev
   * server exits, NOT_READY when it never answers; the container is kept for its log either way.
   */
  async start(app: PreviewApp, o: StartOptions = {}): Promise<PreviewStatus> {
    const plan = await this.plan(app, o);
    const current = await this.find(app.labels, app.app);
    if (current && current.labels[LABEL.configHash] === plan.hash) {
      if (current.state === 'running') return this.statusOfContainer(current);
      return this.startExisting(app, plan, current.id, o);
    }
    if (current) {
      o.onProgress?.(`the preview of ${app.app} changed; recreating its container`);
      await this.runtime.containers.remove(current.id);
    }
    return this.create(app, plan, o);
  }

  /**
   * Stops and starts the app's container again (same port, same volumes: the install is skipped
   * when package.json and the lock file are unchanged); a changed spec is recreated, a missing
   * preview started.
   */
  async restart(app: PreviewApp, o: StartOptions = {}): Promise<PreviewStatus> {
    const plan = await this.plan(app, o);
    const current = await this.find(app.labels, app.app);
    if (!current || current.labels[LABEL.configHash] !== plan.hash) return this.start(app, o);
    await this.stopContainer(current.id);
    return this.startExisting(app, plan, current.id, o);
  }

  /** The status of every preview with these labels, read from the engine now. */
  async status(labels: Record<string, string>): Promise<PreviewStatus[]> {
    const containers = (await this.list(labels)).filter((c) => c.labels[PREVIEW_LABEL.app] !== undefined);
    const statuses = await Promise.all(containers.map((c) => this.statusOfContainer(c)));
    return statuses.sort((a, b) => a.app.localeCompare(b.app));
  }

  /** One app's status; `missing` (with the port it would have) when it has no container. */
  async statusOf(labels: Record<string, string>, app: string, port = 0): Promise<PreviewStatus> {
    const c = await this.find(labels, app);
    if (!c)
      return {
        app,
        state: 'missing',
        url: previewUrl(port),
        port,
        detail: 'no preview container: start the team',
      };
    return this.statusOfContainer(c);
  }

  /** The last `lines` lines of the app's dev server log (stdout and stderr, as they came). */
  async logs(labels: Record<string, string>, app: string, lines: number): Promise<string> {
    if (!Number.isInteger(lines) || lines < 1 || lines > 100_000) {
      throw new BerthError('INVALID_ARGUMENT', `lines must be a whole number from 1 to 100000, not ${lines}`);
    }
    const c = await this.find(labels, app);
    if (!c) throw this.noPreview(app);
    let text = '';
    const add = (chunk: Buffer) => {
      text += chunk.toString();
    };
    await this.runtime.containers.logs(c.id, { follow: false, tail: lines, onStdout: add, onStderr: add });
    return text;
  }

  /** Stops every preview with these labels; containers, volumes and the workspace are kept. */
  async stop(labels: Record<string, string>): Promise<void> {
    const containers = await this.list(labels);
    await Promise.all(containers.filter((c) => c.state === 'running').map((c) => this.stopContainer(c.id)));
  }

  /** Removes the previews with these labels and their volumes (the npm cache too when its labels match). */
  async remove(labels: Record<string, string>): Promise<void> {
    for (const c of await this.list(labels)) {
      this.unwatch(c.id);
      await this.runtime.containers.remove(c.id);
    }
    const volumes = await this.runtime.volumes.list({ ...labels, [PREVIEW_LABEL.member]: 'preview' });
    for (const v of volumes) await this.runtime.volumes.remove(v.name);
  }

  /** Ends the crash watches (the containers are left as they are). */
  close(): void {
    for (const w of this.watches.values()) w.abort();
    this.watches.clear();
  }

  private async plan(app: PreviewApp, o: StartOptions): Promise<PreviewPlan> {
    const imageId = await this.image(app, o);
    const plan = planPreview(app, imageId, { namePrefix: this.namePrefix });
    checkAppFolder(app, plan);
    return plan;
  }

  private async create(app: PreviewApp, plan: PreviewPlan, o: StartOptions): Promise<PreviewStatus> {
    const made = await prepareVolumes(this.runtime, plan.volumes, {
      image: plan.image,
      uid: PREVIEW_UID,
      namePrefix: this.namePrefix,
      labels: app.labels,
    });
    if (made.length > 0) o.onProgress?.(`made the volumes ${made.join(', ')}`);
    const id = await this.runtime.containers.create(plan.spec);
    const startedAt = Date.now();
    await this.startContainer(app, id);
    return this.follow(app, plan, id, startedAt, o);
  }

  private async startExisting(
    app: PreviewApp,
    plan: PreviewPlan,
    id: string,
    o: StartOptions,
  ): Promise<PreviewStatus> {
    const startedAt = Date.now();
    await this.startContainer(app, id);
    return this.follow(app, plan, id, startedAt, o);
  }

  private async startContainer(app: PreviewApp, id: string): Promise<void> {
    try {
      await this.runtime.containers.start(id);
    } catch (err) {
      const said = describeError(err);
      if (/port is already allocated|address already in use|bind/i.test(said)) {
        throw new BerthError(
          'UP_FAILED',
          `preview "${app.app}" cannot be published on 127.0.0.1:${app.port}: something else listens there; ` +
            'give it another port (the team service reallocates it from the pool) and start it again',
          { reason: 'PORT_TAKEN', app: app.app, port: app.port, containerId: id },
          { cause: err },
        );
      }
      throw err;
    }
  }

  private async follow(
    app: PreviewApp,
    plan: PreviewPlan,
    id: string,
    startedAt: number,
    o: StartOptions,
  ): Promise<PreviewStatus> {
    const status = await bringUp({
      runtime: this.runtime,
      app,
      plan,
      id,
      startedAt,
      user: USER,
      options: o,
      ...(this.options.canaryHostRoot !== undefined ? { canaryHostRoot: this.options.canaryHostRoot } : {}),
      ...(this.options.canarySettleMs !== undefined ? { canarySettleMs: this.options.canarySettleMs } : {}),
    });
    this.watch(id);
    return status;
  }

  /** Reports the container's exit to onExit as soon as the engine sees it (a crash, not a stop()). */
  private watch(id: string): void {
    if (!this.options.onExit) return;
    this.unwatch(id);
    const w = new AbortController();
    this.watches.set(id, w);
    void this.runtime.containers.wait(id, w.signal).then(async () => {
      if (w.signal.aborted || this.stopping.has(id)) return;
      this.watches.delete(id);
      const info = await this.runtime.containers.inspect(id).catch(() => undefined);
      if (!info) return;
      const status = await this.statusOfContainer(info).catch((err: unknown) => ({
        app: info.labels[PREVIEW_LABEL.app] ?? info.name,
        containerId: id,
        state: 'crashed' as const,
        url: previewUrl(Number(info.labels[PREVIEW_LABEL.port])),
        port: Number(info.labels[PREVIEW_LABEL.port]),
        detail: describeError(err),
      }));
      this.options.onExit?.(status);
    });
  }

  private unwatch(id: string): void {
    this.watches.get(id)?.abort();
    this.watches.delete(id);
  }

  private async stopContainer(id: string): Promise<void> {
    this.unwatch(id);
    this.stopping.add(id);
    try {
      await this.runtime.containers.stop(id, STOP_TIMEOUT_S);
    } finally {
      this.stopping.delete(id);
    }
  }

  private statusOfContainer(c: ContainerInfo): Promise<PreviewStatus> {
    return readStatus(this.runtime, c, { startGraceMs: this.options.startGraceMs ?? 180_000, user: USER });
  }

  private list(labels: Record<string, string>): Promise<ContainerInfo[]> {
    return this.runtime.containers.list({ ...labels, [LABEL.role]: 'preview' });
  }

  private async find(labels: Record<string, string>, app: string): Promise<ContainerInfo | undefined> {
    const found = await this.runtime.containers.list({
      ...labels,
      [LABEL.role]: 'preview',
      [PREVIEW_LABEL.app]: app,
    });
    return found[0];
  }

  /** The image's id (part of the spec hash: a rebuilt image recreates the preview). */
  private async image(app: PreviewApp, o: StartOptions): Promise<string> {
    const ref = previewImage(app);
    const have = await this.runtime.images.inspect(ref);
    if (have) return have.id;
    const ours = (Object.values(PREVIEW_IMAGES) as string[]).includes(ref) && app.image === undefined;
    if (ours) {
      throw new BerthError(
        'IMAGE_UNAVAILABLE',
        `the preview image ${ref} is missing: build it with scripts/bootstrap-engine.sh (it builds berth's preview images)`,
        { image: ref },
      );
    }
    o.onProgress?.(`pulling ${ref}`);
    try {
      await this.runtime.images.pull(ref, o.onProgress);
    } catch (err) {
      throw new BerthError(
        'IMAGE_UNAVAILABLE',
        `the image ${ref} of app "${app.app}" is not here and could not be pulled (${describeError(err)}): ` +
          "build or pull it, or remove `image` from the app in berth.team.yaml to use berth's",
        { image: ref },
        { cause: err },
      );
    }
    const pulled = await this.runtime.images.inspect(ref);
    if (!pulled)
      throw new BerthError('IMAGE_UNAVAILABLE', `the image ${ref} is still missing after its pull`, {
        image: ref,
      });
    return pulled.id;
  }

  private noPreview(app: string): BerthError {
    return new BerthError('NOT_FOUND', `no preview container of app "${app}": start the team first`, { app });
  }
}

/**
 * The app's folder must exist in the workspace, and its node_modules must not be a link: the
 * engine mounts the dependency volume there. Checked through the confined walk, which refuses
 * links out of the workspace (the workspace is container-writable).
 */
function checkAppFolder(app: PreviewApp, plan: PreviewPlan): void {
  const root = new ConfinedRoot(app.workspace);
  let dir;
  try {
    dir = root.openDir(plan.appComponents);
  } catch (err) {
    if (isBerthError(err)) {
      throw new BerthError(
        'NOT_FOUND',
        `the folder of app "${app.app}" (${app.root || '.'}) is not in the workspace: ${err.message}; fix root in berth.team.yaml`,
        { app: app.app, root: app.root },
      );
    }
    throw err;
  }
  try {
    const rootFd = root.openRoot();
    try {
      checkPreviewUserAccess(app.app, [
        { what: 'the workspace folder', fd: rootFd },
        { what: `its folder ${app.root || '.'}`, fd: dir.fd },
      ]);
    } finally {
      fs.closeSync(rootFd);
    }
    if (
      app.runtime === 'node' &&
      app.installRoot === undefined &&
      lstatAt(dir.fd, 'node_modules')?.isSymbolicLink()
    ) {
      throw new BerthError(
        'PATH_REFUSED',
        `node_modules of app "${app.app}" is a symbolic link; berth mounts the app's dependency volume there: remove the link`,
        { app: app.app },
      );
    }
  } finally {
    fs.closeSync(dir.fd);
  }
}
