import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { errnoOf } from '../../errors.js';
import { inDir, listNames, removeTreeIn } from '../fd-dir.js';
import { DIGEST_PATTERN, keyOf, type FileKey } from './digest-cache.js';
import type { ContentChunk, StageResult } from './replica.js';
import { fsyncAll, randomName } from './tree-fds.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** A file this replica staged: its name in the stage folder, and its key when it was verified. */
export interface StagedFile {
  name: Buffer;
  key: FileKey;
}

/** Staged files written but not yet fsynced are flushed in batches of this many. */
const BATCH = 256;
/**
 * Batches whose fsyncs may run while more content arrives: the disk's flushes overlap the
 * stream instead of stopping it (a journal commit then serves many files at once).
 */
const BATCHES_IN_FLIGHT = 4;

interface Writing {
  digest: string;
  tmp: Buffer;
  fd: number;
  hash: Hash;
  bytes: number;
  /** Set once the file is known bad; its remaining chunks are dropped. */
  failed?: string;
}

/**
 * Writes incoming content into the stage folder: each file to a fresh name, hashed while
 * written, checked against its digest (and the size cap), then fsynced (a batch at a time, the
 * fsyncs side by side). Bytes that do not hash to their digest are removed. `onStaged` learns
 * each staged file's name and key (from its own fd): the stage folder is in a tree the other
 * side can write, so a put takes only a file this replica staged, while its key is still the
 * one staged, never a file found there by its name. The stage folder itself is not fsynced: no
 * staged name needs to outlive this process (after a restart nothing staged before is taken),
 * and a put's link is made durable with the folder it lands in.
 */
export async function stageChunks(
  stageFd: number,
  chunks: AsyncIterable<ContentChunk>,
  maxFileBytes: number,
  onStaged: (digest: string, file: StagedFile) => void = () => undefined,
): Promise<StageResult> {
  const result: StageResult = { staged: [], failed: [] };
  const writing = new Map<string, Writing>();
  let done: Writing[] = [];
  const inFlight: Promise<void>[] = [];

  const drop = (w: Writing, reason: string) => {
    fs.closeSync(w.fd);
    fs.unlinkSync(inDir(stageFd, w.tmp));
    result.failed.push({ digest: w.digest, reason });
  };
  const flush = async () => {
    const batch = done;
    done = [];
    try {
      await fsyncAll(
        batch.map((w) => w.fd),
        false,
      );
    } catch (err) {
      for (const w of batch) {
        fs.closeSync(w.fd);
        try {
          fs.unlinkSync(inDir(stageFd, w.tmp));
        } catch {
          // already gone
        }
        result.failed.push({ digest: w.digest, reason: `fsync failed (${errnoOf(err) ?? String(err)})` });
      }
      return;
    }
    try {
      for (const w of batch) {
        onStaged(w.digest, { name: w.tmp, key: keyOf(fs.fstatSync(w.fd, { bigint: true })) });
        result.staged.push(w.digest);
      }
    } finally {
      for (const w of batch) fs.closeSync(w.fd);
    }
  };

  try {
    for await (const chunk of chunks) {
      let w = writing.get(chunk.digest);
      if (w === undefined) {
        if (!DIGEST_PATTERN.test(chunk.digest)) {
          if (chunk.last)
            result.failed.push({ digest: String(chunk.digest), reason: 'not a SHA-256 digest' });
          continue;
        }
        const tmp = randomName(`${chunk.digest}.`);
        const name = Buffer.concat([tmp, Buffer.from('.tmp')]);
        const fd = fs.openSync(inDir(stageFd, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
        w = { digest: chunk.digest, tmp: name, fd, hash: createHash('sha256'), bytes: 0 };
        writing.set(chunk.digest, w);
      }
      if (w.failed === undefined && chunk.failed !== undefined)
        w.failed = `the source could not send it: ${chunk.failed}`;
      if (w.failed === undefined && w.bytes + chunk.data.length > maxFileBytes)
        w.failed = `larger than the ${maxFileBytes}-byte limit`;
      if (w.failed === undefined && chunk.data.length > 0) {
        w.hash.update(chunk.data);
        let at = 0;
        while (at < chunk.data.length)
          at += fs.writeSync(w.fd, chunk.data, at, chunk.data.length - at, w.bytes + at);
        w.bytes += chunk.data.length;
      }
      if (!chunk.last) continue;
      writing.delete(chunk.digest);
      if (w.failed === undefined) {
        const got = w.hash.digest('hex');
        if (got !== w.digest) w.failed = `the bytes received hash to ${got}, not to their digest`;
      }
      if (w.failed !== undefined) {
        drop(w, w.failed);
        continue;
      }
      done.push(w);
      if (done.length >= BATCH) {
        inFlight.push(flush());
        if (inFlight.length >= BATCHES_IN_FLIGHT) await inFlight.shift();
      }
    }
    inFlight.push(flush());
    await Promise.all(inFlight.splice(0));
  } finally {
    await Promise.allSettled(inFlight);
    // a stream that ended mid-file (or threw) leaves no half-written temp behind
    for (const w of writing.values()) drop(w, 'the content stream ended before the file did');
    for (const w of done) drop(w, 'staging stopped before it was flushed');
  }
  return result;
}

/** Empties the stage folder (staged content no op used, temp files of an interrupted stage). */
export function clearStageDir(stageFd: number): void {
  for (const name of listNames(stageFd)) removeTreeIn(stageFd, name);
}
