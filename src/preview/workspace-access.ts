import * as fs from 'node:fs';
import { BerthError } from '../errors.js';
import { chownTreeAt } from '../workspace/tree-chown.js';
import { PREVIEW_UID } from './preview-spec.js';

/**
 * Hands a workspace berth made itself (a team's clone) to the preview user, uid 1000, so its
 * dev servers can write what they write (package-lock.json, __pycache__, a framework's cache).
 * Through the fd-based chown: the workspace is container-writable, links are not followed.
 */
export function handWorkspaceToPreviewUser(workspace: string): void {
  chownTreeAt(workspace, PREVIEW_UID, PREVIEW_UID);
}

/**
 * Whether uid 1000 can enter and list a folder with this mode and owner, as the kernel decides
 * (the preview user's only group is 1000). No capability in the container bypasses this.
 */
export function previewUserCanEnter(st: fs.Stats): boolean {
  if (st.uid === PREVIEW_UID) return (st.mode & 0o500) === 0o500;
  if (st.gid === PREVIEW_UID) return (st.mode & 0o050) === 0o050;
  return (st.mode & 0o005) === 0o005;
}

/** A clear error when the preview user could not even enter the app's folder. */
export function checkPreviewUserAccess(app: string, fds: { what: string; fd: number }[]): void {
  for (const { what, fd } of fds) {
    const st = fs.fstatSync(fd);
    if (!previewUserCanEnter(st)) {
      throw new BerthError(
        'UP_FAILED',
        `the preview of "${app}" runs as uid ${PREVIEW_UID}, which cannot enter ${what} (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}): ` +
          'hand the workspace to uid 1000 (handWorkspaceToPreviewUser does it for a workspace berth cloned) or make it readable to others',
        { app, reason: 'WORKSPACE_ACCESS', ownerUid: st.uid, mode: st.mode & 0o777 },
      );
    }
  }
}
