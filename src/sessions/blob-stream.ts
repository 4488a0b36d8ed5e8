import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { BerthError } from '../errors.js';
import { hashFileBytes } from '../workspace/fd-hash.js';
import type { SandboxGit } from './sandbox-git.js';

const READ_CHUNK = 1024 * 1024;

export type HashAlgo = 'sha1' | 'sha256';

/**
 * Blob contents from a session repository, one at a time, through one `git cat-file --batch`
 * (with the hardened arguments and environment of SandboxGit). Each blob goes straight to an
 * fd as it arrives, so memory stays at a pipe chunk however large the blob is.
 */
export class BlobStream {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private exited: Promise<number | null>;

  constructor(git: SandboxGit) {
    this.child = git.spawn(['cat-file', '--batch']);
    this.child.stderr.resume();
    this.chunks = this.child.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.exited = new Promise((resolve) => this.child.once('close', resolve));
    this.child.once('error', () => undefined);
  }

  /** Writes blob `id` to `fd`; returns its size. */
  async writeTo(id: string, fd: number): Promise<number> {
    return this.read(id, (chunk) => {
      let at = 0;
      while (at < chunk.length) at += fs.writeSync(fd, chunk, at);
    });
  }

  /** A small blob (a link target) into memory; refuses anything over `max` bytes. */
  async small(id: string, max: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    await this.read(id, (chunk) => {
      size += chunk.length;
      if (size <= max) parts.push(Buffer.from(chunk));
    });
    if (size > max) throw new BerthError('TOO_LARGE', `a link target over ${max} bytes`);
    return Buffer.concat(parts);
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }

  private async read(id: string, sink: (chunk: Buffer) => void): Promise<number> {
    if (!/^[0-9a-f]{40,64}$/.test(id)) throw new BerthError('GIT_FAILED', `not an object id: ${id}`);
    this.child.stdin.write(`${id}\n`);
    const header = (await this.line()).split(' ');
    if (header[1] !== 'blob' || header[0] !== id) {
      throw new BerthError('GIT_FAILED', `the session repository has no blob ${id} (${header.join(' ')})`);
    }
    const size = Number(header[2]);
    let left = size;
    while (left > 0) {
      if (this.pending.length === 0) this.pending = await this.next();
      const take = Math.min(left, this.pending.length);
      sink(this.pending.subarray(0, take));
      this.pending = this.pending.subarray(take);
      left -= take;
    }
    // the newline after the contents
    if (this.pending.length === 0) this.pending = await this.next();
    this.pending = this.pending.subarray(1);
    return size;
  }

  private async line(): Promise<string> {
    const parts: Buffer[] = [];
    for (;;) {
      if (this.pending.length === 0) this.pending = await this.next();
      const eol = this.pending.indexOf(10);
      if (eol >= 0) {
        parts.push(this.pending.subarray(0, eol));
        this.pending = this.pending.subarray(eol + 1);
        return Buffer.concat(parts).toString('latin1');
      }
      parts.push(this.pending);
      this.pending = Buffer.alloc(0);
    }
  }

  private async next(): Promise<Buffer> {
    const { value, done } = await this.chunks.next();
    if (done) throw new BerthError('GIT_FAILED', 'git cat-file ended early');
    return value;
  }
}

/** git's blob id of the regular file open at `fd`, read by streaming (no size limit). */
export function hashFd(fd: number, algo: HashAlgo): string {
  const size = fs.fstatSync(fd).size;
  const hash = createHash(algo).update(`blob ${size}\0`);
  const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(size, 1)));
  const at = hashFileBytes(fd, hash, size, buffer);
  // a file that grew or shrank while it was read hashes as neither side
  return at === size ? hash.digest('hex') : `changed-while-read-${at}`;
}

export function hashBytes(data: Buffer, algo: HashAlgo): string {
  return createHash(algo).update(`blob ${data.length}\0`).update(data).digest('hex');
}
