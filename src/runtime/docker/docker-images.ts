import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError, describeError } from '../../errors.js';
import { listFolder } from '../../workspace/path-ops.js';
import type { ImageBuildSpec, ImageInfo, ProgressFn, RuntimeImages } from '../container-runtime.js';
import { engineError, statusOf } from './engine-call.js';

/** Images through the Engine API: inspect, pull, and build from a Dockerfile context. */
export class DockerImages implements RuntimeImages {
  constructor(private readonly docker: () => Promise<Docker>) {}

  async inspect(ref: string): Promise<ImageInfo | undefined> {
    const docker = await this.docker();
    try {
      const info = await docker.getImage(ref).inspect();
      const user = info.Config?.User;
      return user ? { id: info.Id, user } : { id: info.Id };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw engineError(`inspecting image ${ref}`, err);
    }
  }

  async pull(ref: string, onProgress?: ProgressFn): Promise<void> {
    const docker = await this.docker();
    const stream = (await docker.pull(ref)) as Readable;
    await new Promise<void>((resolvePull, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolvePull()),
        (event: { status?: string; progress?: string; id?: string; error?: string }) => {
          if (event.error) return;
          if (onProgress && event.status)
            onProgress([event.id, event.status, event.progress].filter(Boolean).join(' '));
        },
      );
    });
  }

  async build(spec: ImageBuildSpec, onProgress?: ProgressFn): Promise<ImageInfo> {
    const docker = await this.docker();
    let stream: Readable;
    try {
      stream = (await docker.buildImage(
        { context: spec.context, src: spec.files ?? listFolder(spec.context) },
        { t: spec.tag, dockerfile: spec.dockerfile, labels: spec.labels, buildargs: spec.args, rm: true },
      )) as Readable;
    } catch (err) {
      throw new BerthError('BUILD_FAILED', `building ${spec.tag} failed: ${describeError(err)}`, {
        tag: spec.tag,
      });
    }
    const failure = await new Promise<string | undefined>((resolveBuild) => {
      let error: string | undefined;
      docker.modem.followProgress(
        stream,
        (err: Error | null) => resolveBuild(err ? describeError(err) : error),
        (event: { stream?: string; error?: string }) => {
          if (event.error) error = event.error.trim();
          const line = event.stream?.trimEnd();
          if (line && onProgress) onProgress(line);
        },
      );
    });
    if (failure)
      throw new BerthError('BUILD_FAILED', `building ${spec.tag} failed: ${failure}`, { tag: spec.tag });
    const image = await this.inspect(spec.tag);
    if (!image)
      throw new BerthError('BUILD_FAILED', `building ${spec.tag} produced no image`, { tag: spec.tag });
    return image;
  }
}
