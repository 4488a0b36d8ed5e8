import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { BerthError } from '../../errors.js';
import { readSmallFileIn } from '../fd-dir.js';
import type { ReplicaIdentity } from './entry.js';
import { writeIfAbsent } from './state-dir.js';

const MARKER_FILE = 'replica-id';
const MARKER_PATTERN = /^[A-Za-z0-9-]{8,64}$/;

/**
 * Who this root is: the marker in `.berth-sync/replica-id` (written with O_EXCL the first time,
 * so two replicas starting at once agree on one), and the file system and inode of the root.
 * A marker someone rewrote into something that is not one is refused, not trusted.
 */
export function readIdentity(rootFd: number, stateFd: number): ReplicaIdentity {
  writeIfAbsent(stateFd, MARKER_FILE, `${randomUUID()}\n`);
  const text = readSmallFileIn(stateFd, MARKER_FILE, 256)?.toString('utf8').trim();
  if (text === undefined || !MARKER_PATTERN.test(text)) {
    throw new BerthError(
      'PATH_REFUSED',
      `the sync marker .berth-sync/${MARKER_FILE} is not a marker berth wrote; remove it to start afresh`,
    );
  }
  const st = fs.fstatSync(rootFd, { bigint: true });
  return { marker: text, root: `${st.dev}:${st.ino}` };
}
