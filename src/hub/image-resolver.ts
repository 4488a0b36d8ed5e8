import type { ProjectConfig } from '../config/types.js';
import { BerthError, describeError } from '../errors.js';
import type { ContainerRuntime, ProgressFn } from '../runtime/container-runtime.js';
import { hubLabels } from '../runtime/labels.js';

export interface ResolvedImage {
  ref: string;
  id: string;
}

export function builtImageTag(hubId: string, project: string): string {
  return `berth/${project}-${hubId}:latest`;
}

/**
 * Makes sure a project's image exists: present locally, else pulled, else (for `build:`) built.
 * Fails with the image name and the reason; creates no containers.
 */
export async function resolveImage(
  runtime: ContainerRuntime,
  hubId: string,
  project: ProjectConfig,
  onProgress?: ProgressFn,
): Promise<ResolvedImage> {
  if (project.build) {
    const tag = builtImageTag(hubId, project.name);
    onProgress?.(`building ${tag} from ${project.build.dockerfile}`);
    const image = await runtime.images.build(
      {
        context: project.build.context,
        dockerfile: project.build.dockerfile,
        tag,
        labels: hubLabels(hubId, 'image', project.name),
        args: project.build.args,
      },
      onProgress,
    );
    return { ref: tag, id: image.id };
  }
  const ref = project.image!;
  const local = await runtime.images.inspect(ref);
  if (local) return { ref, id: local.id };
  onProgress?.(`pulling ${ref}`);
  try {
    await runtime.images.pull(ref, onProgress);
  } catch (err) {
    throw new BerthError(
      'IMAGE_UNAVAILABLE',
      `project "${project.name}": image ${ref} is not present locally and could not be pulled: ${describeError(err)}`,
      { project: project.name, image: ref },
    );
  }
  const pulled = await runtime.images.inspect(ref);
  if (!pulled) {
    throw new BerthError(
      'IMAGE_UNAVAILABLE',
      `project "${project.name}": image ${ref} is missing after the pull`,
      {
        project: project.name,
        image: ref,
      },
    );
  }
  return { ref, id: pulled.id };
}
