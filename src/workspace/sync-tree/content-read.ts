import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { errnoOf } from '../../errors.js';
import { keyOf, sameKey } from './digest-cache.js';
import type { ContentChunk, ContentRequest } from './replica.js';
import { checkSyncPath } from './sync-path.js';
import { openFileNoFollow, openParent } from './tree-fds.js';

/** The largest piece of a file sent at once. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * The content of each requested file, in order, in pieces of at most CHUNK_BYTES. Each file is
 * opened through its parent's fd without following a link, must be a regular file of the
 * requested size, and is hashed while read: when the bytes (or the file's state) at the end
 * are not what was asked for, the last piece carries `failed` and the receiver drops the file.
 */
export async function* readContent(
  rootFd: number,
  rootDev: bigint,
  files: ContentRequest[],
): AsyncGenerator<ContentChunk> {
  for (const file of files) {
    yield* readOne(rootFd, rootDev, file);
  }
}

function* readOne(rootFd: number, rootDev: bigint, file: ContentRequest): Generator<ContentChunk> {
  const fail = (why: string): ContentChunk => ({
    digest: file.digest,
    data: Buffer.alloc(0),
    last: true,
    failed: why,
  });
  let parent;
  try {
    checkSyncPath(file.path);
    parent = openParent(rootFd, rootDev, file.path);
  } catch (err) {
    yield fail((err as Error).message);
    return;
  }
  const opened = openFileNoFollow(parent.fd, parent.name);
  fs.closeSync(parent.fd);
  if ('error' in opened) {
    yield fail(
      opened.error === 'ENOENT' ? 'the file vanished' : `the file cannot be opened (${opened.error})`,
    );
    return;
  }
  try {
    if (Number(opened.st.size) !== file.size) {
      yield fail(`the file has ${opened.st.size} bytes now, not ${file.size}`);
      return;
    }
    const hash = createHash('sha256');
    let at = 0;
    let short = false;
    do {
      const want = Math.min(CHUNK_BYTES, file.size - at);
      const data = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = fs.readSync(opened.fd, data, got, want - got, at + got);
        if (n === 0) break;
        got += n;
      }
      if (got < want) short = true;
      const piece = data.subarray(0, got);
      hash.update(piece);
      at += got;
      if (short || at >= file.size) {
        const after = fs.fstatSync(opened.fd, { bigint: true });
        const digest = hash.digest('hex');
        const why = short
          ? 'the file got shorter while it was read'
          : !sameKey(keyOf(opened.st), keyOf(after))
            ? 'the file changed while it was read'
            : digest !== file.digest
              ? `the file's bytes hash to ${digest} now, not to the digest asked for`
              : undefined;
        yield { digest: file.digest, data: piece, last: true, ...(why !== undefined ? { failed: why } : {}) };
        return;
      }
      yield { digest: file.digest, data: piece, last: false };
    } while (at < file.size);
  } catch (err) {
    yield fail(`the file cannot be read (${errnoOf(err) ?? String(err)})`);
  } finally {
    fs.closeSync(opened.fd);
  }
}
