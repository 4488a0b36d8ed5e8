import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chownFolder, removePath } from '../../workspace/path-ops.js';

/** The host folder shared with one container for its agent: under the runtime's agent root, by name. */
export function runnerDirFor(agentRoot: string, containerName: string): string {
  return join(agentRoot, containerName);
}

/** The owner a container user spec (`uid:gid` or `uid`) gives its agent folder; undefined for names. */
export function ownerOf(user: string | undefined): { uid: number; gid: number } | undefined {
  const match = /^(\d+)(?::(\d+))?$/.exec(user ?? '0');
  if (!match) return undefined;
  const uid = Number(match[1]);
  return { uid, gid: match[2] !== undefined ? Number(match[2]) : uid };
}

/**
 * Creates the folder empty, owned by the container's user, private to it (0700). When berth
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
