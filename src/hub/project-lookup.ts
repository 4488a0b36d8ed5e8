import { statSync } from 'node:fs';
import type { HubConfig, ProjectConfig } from '../config/types.js';
import { BerthError } from '../errors.js';
import type { ProjectFolder } from './container-spec.js';

/** Picks projects by name (all when none given); an unknown name lists the known ones. */
export function selectProjects(config: HubConfig, names: string[]): ProjectConfig[] {
  if (names.length === 0) return config.projects;
  const unique = [...new Set(names)];
  return unique.map((name) => findProject(config, name));
}

export function findProject(config: HubConfig, name: string): ProjectConfig {
  const project = config.projects.find((p) => p.name === name);
  if (!project) {
    const known = config.projects.map((p) => p.name).join(', ');
    throw new BerthError('UNKNOWN_PROJECT', `unknown project "${name}"; known projects: ${known}`, {
      project: name,
      known: config.projects.map((p) => p.name),
    });
  }
  return project;
}

/** The project folder must exist and be a folder; returns its owner and identity. */
export function checkProjectFolder(project: ProjectConfig): ProjectFolder {
  let stats;
  try {
    // bigint: inode numbers can pass 2^53 on some filesystems
    stats = statSync(project.path, { bigint: true });
  } catch {
    throw new BerthError(
      'PATH_INVALID',
      `project "${project.name}": path ${project.path} does not exist; create it or fix "path" in the config`,
      { project: project.name, path: project.path },
    );
  }
  if (!stats.isDirectory()) {
    throw new BerthError(
      'PATH_INVALID',
      `project "${project.name}": path ${project.path} is not a folder; "path" must name a folder`,
      { project: project.name, path: project.path },
    );
  }
  return { uid: Number(stats.uid), gid: Number(stats.gid), dev: String(stats.dev), ino: String(stats.ino) };
}
