import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chownFolder, removePath } from '../../workspace/path-ops.js';

/** The host folder shared with one project container for its command runner. */
export function runnerDirFor(home: string, hubId: string, project: string): string {
  return join(home, 'run', `${hubId}-${project}`);
}

/**
 * Creates the folder empty, owned by the container's user, private to it (0700). When the hub
 * cannot hand it over (not root, other owner), the runner inside stays off and exec goes through
 * the engine instead.
 */
export function prepareRunnerDir(dir: string, owner: { uid: number; gid: number }): void {
  // the container could write the old one: it is removed without following what it planted
  removePath(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    chownFolder(dir, owner.uid, owner.gid);
  } catch {
    // left to the hub's user; the container cannot write there, so its runner stays off
  }
}

export function removeRunnerDir(dir: string): void {
  removePath(dir);
}
