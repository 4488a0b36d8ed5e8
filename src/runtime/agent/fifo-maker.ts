import { execFile } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths per `mkfifo` process: far below ARG_MAX. */
const MAX_PATHS_PER_RUN = 384;

interface Wanted {
  paths: string[];
  resolve(): void;
  reject(err: unknown): void;
}

const queue: Wanted[] = [];
let running = false;

/**
 * Makes FIFOs (mode 0666). Node has no mkfifo, so it takes a process; spawning one per command
 * blocked the event loop for milliseconds each (fork of a large process) and, with hundreds of
 * commands at once, for seconds. So one `mkfifo` makes the FIFOs of every caller that asked
 * while the previous one ran: a lone call costs what it did, a burst costs a few processes.
 */
export function makeFifos(paths: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    queue.push({ paths, resolve, reject });
    if (!running) void drain();
  });
}

async function drain(): Promise<void> {
  running = true;
  try {
    while (queue.length > 0) {
      const batch: Wanted[] = [];
      let count = 0;
      while (
        queue.length > 0 &&
        (batch.length === 0 || count + queue[0]!.paths.length <= MAX_PATHS_PER_RUN)
      ) {
        const next = queue.shift()!;
        batch.push(next);
        count += next.paths.length;
      }
      try {
        await run('mkfifo', ['-m', '0666', ...batch.flatMap((w) => w.paths)]);
        for (const w of batch) w.resolve();
      } catch {
        // mkfifo went on past the path that failed and does not say which: a caller whose FIFOs
        // are all there has them, the others get a run of their own
        await Promise.all(
          batch.map((w) =>
            w.paths.every(isFifo)
              ? w.resolve()
              : run('mkfifo', ['-m', '0666', ...w.paths]).then(w.resolve, w.reject),
          ),
        );
      }
    }
  } finally {
    running = false;
  }
}

function isFifo(path: string): boolean {
  try {
    return lstatSync(path).isFIFO();
  } catch {
    return false;
  }
}
