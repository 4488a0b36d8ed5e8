import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { RawExecOptions, RawExecResult } from '../container-runtime.js';
import { ExecStream } from '../exec-stream.js';
import { makeFifos } from './fifo-maker.js';
import { requestScript } from './request-script.js';

const { O_RDONLY, O_WRONLY, O_NONBLOCK, O_NOFOLLOW, O_CREAT, O_EXCL } = constants;

/**
 * Runs commands through the runner in a project container (see main-process.ts). The folder is
 * writable by the container, which is untrusted: every open refuses symlinks and anything that
 * is not a FIFO, and the script is created exclusively, so nothing planted there can redirect a
 * hub read or write onto a host file.
 */
export class RunnerChannel {
  constructor(private readonly dir: string) {}

  /** undefined when the runner is not there (nothing was sent); otherwise the result. */
  async exec(options: RawExecOptions): Promise<RawExecResult | undefined> {
    const requests = openFifo(join(this.dir, 'requests'), O_WRONLY);
    if (requests === undefined) return undefined;
    const id = randomBytes(8).toString('hex');
    const path = (suffix: string) => join(this.dir, `${id}.${suffix}`);
    const files = ['out', 'err', 'status', 'sh'].map(path);
    const fds: number[] = [];
    const cleanup = () => {
      for (const f of files) unlinkQuietly(f);
    };
    try {
      await makeFifos([path('out'), path('err'), path('status')]);
      const readers = ['out', 'err', 'status'].map((s) => openFifo(path(s), O_RDONLY));
      if (readers.some((fd) => fd === undefined)) throw new Error('runner FIFO replaced');
      fds.push(...(readers as number[]));
      // Our own write ends keep each FIFO from reading as ended before the runner opens it.
      const keepers = ['out', 'err', 'status'].map((s) => openFifo(path(s), O_WRONLY));
      if (keepers.some((fd) => fd === undefined)) throw new Error('runner FIFO replaced');
      fds.push(...(keepers as number[]));
      const script = openSync(path('sh'), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
      try {
        writeSync(script, requestScript(options.cmd, options.env ?? {}, options.workingDir));
      } finally {
        closeSync(script);
      }
      writeSync(requests, `${id}\n`);
    } catch {
      for (const fd of fds) closeQuietly(fd);
      cleanup();
      return undefined;
    } finally {
      closeQuietly(requests);
    }
    const [outFd, errFd, statusFd, ...keepers] = fds as [number, number, number, ...number[]];
    try {
      return await this.collect(outFd, errFd, statusFd, keepers, options);
    } finally {
      cleanup();
    }
  }

  private collect(
    outFd: number,
    errFd: number,
    statusFd: number,
    keepers: number[],
    options: RawExecOptions,
  ): Promise<RawExecResult> {
    const sockets = [outFd, errFd, statusFd].map((fd) => new Socket({ fd, readable: true, writable: false }));
    const [out, err, status] = sockets as [Socket, Socket, Socket];
    const releaseKeepers = () => {
      while (keepers.length > 0) closeQuietly(keepers.pop()!);
    };
    // Like the engine, stop waiting for output a moment after the command itself exited: a
    // background child that kept stdout open must not hold the call (see exec-stream.ts).
    const stream = new ExecStream(options, { stdout: out, stderr: err }, () => {
      for (const s of sockets) s.destroy();
    });
    void stream.result.then(releaseKeepers);
    if (stream.how) return stream.result;
    let statusText = '';
    let open = 3;
    out.on('data', (c: Buffer) => stream.stdout(c));
    err.on('data', (c: Buffer) => stream.stderr(c));
    status.on('data', (c: Buffer) => {
      statusText += c.toString();
      // The runner has opened all three write ends: from now on, EOF means the command's
      // side closed them, exactly as with an engine exec.
      if (/^S\n/.test(statusText)) releaseKeepers();
      const exit = /\nE (\d+)\n/.exec(statusText);
      if (exit) stream.exited(Number(exit[1]));
    });
    for (const s of sockets) {
      s.on('error', () => s.destroy());
      s.on('close', () => {
        if (--open === 0) stream.end();
      });
    }
    return stream.result;
  }
}

/** Opens a FIFO without following links and without blocking; undefined if it is anything else. */
function openFifo(path: string, mode: number): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, mode | O_NONBLOCK | O_NOFOLLOW);
  } catch {
    return undefined; // ENOENT: no runner; ENXIO: no reader; ELOOP: a planted symlink
  }
  if (!fstatSync(fd).isFIFO()) {
    closeQuietly(fd);
    return undefined;
  }
  return fd;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
