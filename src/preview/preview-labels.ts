import { createHash } from 'node:crypto';
import { LABEL } from '../runtime/labels.js';

/** berth's own labels on what a preview makes, beside the caller's (team, app). */
export const PREVIEW_LABEL = {
  /** The app's name, on its container and node_modules volume: how status() names a preview. */
  app: 'berth.preview-app',
  /** The published port (the same inside), so status() can give the URL of a stopped preview. */
  port: 'berth.preview-port',
  /** What a volume holds: `node-modules` (one app's) or `npm-cache` (the team's). */
  volume: 'berth.preview-volume',
  /** Like the hub's: `preview` on every volume a preview mounts. */
  member: 'berth.member',
} as const;

export function previewContainerLabels(
  callerLabels: Record<string, string>,
  app: string,
  port: number,
  configHash: string,
): Record<string, string> {
  return {
    ...callerLabels,
    [LABEL.role]: 'preview',
    [PREVIEW_LABEL.app]: app,
    [PREVIEW_LABEL.port]: String(port),
    [LABEL.configHash]: configHash,
  };
}

/** Labels of a preview's volume (the caller's, then berth's role `volume` and what it holds). */
export function previewVolumeLabels(
  callerLabels: Record<string, string>,
  holds: 'node-modules' | 'npm-cache',
  app?: string,
): Record<string, string> {
  return {
    ...callerLabels,
    [LABEL.role]: 'volume',
    [PREVIEW_LABEL.member]: 'preview',
    [PREVIEW_LABEL.volume]: holds,
    ...(app !== undefined ? { [PREVIEW_LABEL.app]: app } : {}),
  };
}

/**
 * An engine name (containers and volumes allow [a-zA-Z0-9][a-zA-Z0-9_.-]) made of `parts`:
 * readable where the parts are plain, and always unique, since a short hash of the parts as
 * given is added (team "a.b" + app "c" and team "a" + app "b.c" must not share a volume).
 */
export function engineName(prefix: string, ...parts: string[]): string {
  const plain = parts.map((p) => p.replace(/[^a-zA-Z0-9_.-]+/g, '-').slice(0, 40)).join('-');
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 8);
  return `${prefix}-${plain}-${hash}`.replace(/-{2,}/g, '-');
}
