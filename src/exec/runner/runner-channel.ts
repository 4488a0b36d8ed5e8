import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { RawExecOptions, RawExecResult } from '../../runtime/container-runtime.js';
import { flowGate } from '../../runtime/flow-gate.js';
import { ExitGrace } from '../exit-grace.js';
import { makeFifos } from './fifo-maker.js';
import { requestScript } from './runner-script.js';

const { O_RDONLY, O_WRONLY, O_NONBLOCK, O_NOFOLLOW, O_CREAT, O_EXCL } = constants;

/**
 * Runs commands through the runner in a project container (see runner-script.ts). The folder is
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
    return new Promise((resolve) => {
      const sockets = [outFd, errFd, statusFd].map(
        (fd) => new Socket({ fd, readable: true, writable: false }),
      );
      const [out, err, status] = sockets as [Socket, Socket, Socket];
      let exitCode: number | undefined;
      let statusText = '';
      let open = 3;
      let done = false;
      const releaseKeepers = () => {
        while (keepers.length > 0) closeQuietly(keepers.pop()!);
      };
      const finish = () => {
        if (done) return;
        done = true;
        grace.clear();
        releaseKeepers();
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode });
      };
      const onAbort = () => {
        for (const s of sockets) s.destroy();
        exitCode = undefined;
        finish();
      };
      // Like the engine, stop waiting for output a moment after the command itself exited: a
      // background child that kept stdout open must not hold the call.
      const grace = new ExitGrace(() => {
        for (const s of sockets) s.destroy();
        finish();
      });
      const drain = grace.wrapDrain(options.drain);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      out.on('data', flowGate(out, drain)(options.onStdout));
      err.on('data', flowGate(err, drain)(options.onStderr));
      out.on('data', () => grace.activity());
      err.on('data', () => grace.activity());
      status.on('data', (c: Buffer) => {
        statusText += c.toString();
        // The runner has opened all three write ends: from now on, EOF means the command's
        // side closed them, exactly as with an engine exec.
        if (/^S\n/.test(statusText)) releaseKeepers();
        const exit = /\nE (\d+)\n/.exec(statusText);
        if (exit) {
          exitCode = Number(exit[1]);
          grace.exited();
        }
      });
      for (const s of sockets) {
        s.on('error', () => s.destroy());
        s.on('close', () => {
          if (--open === 0) finish();
        });
      }
    });
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
