import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { createTwoFilesPatch } from 'diff';

/** Texts up to this size (both together, in UTF-16 units) are diffed on the calling thread. */
const INLINE_MAX = 64 * 1024;

/**
 * A line diff costs (lines × changed lines): a rewrite of a 10,000-line file took 14 s. Bigger
 * texts are diffed in a worker thread, so the server keeps answering, under the `diff`
 * package's own `timeout`, with a terminate as the backstop.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createTwoFilesPatch } = require(workerData.diffPath);
const { a, b, before, after, timeoutMs } = workerData;
const patch = createTwoFilesPatch(a, b, before, after, undefined, undefined, { context: 3, timeout: timeoutMs });
parentPort.postMessage(patch === undefined ? null : patch);
`;

export interface TextDiff {
  /** The unified diff, or a one-line summary when it could not be computed in time. */
  diff: string;
  complete: boolean;
}

/** A unified diff of `path` from `before` to `after`, computed in at most `timeoutMs`. */
export async function unifiedDiff(
  path: string,
  before: string,
  after: string,
  timeoutMs: number,
): Promise<TextDiff> {
  const a = `a/${path}`;
  const b = `b/${path}`;
  if (before.length + after.length <= INLINE_MAX) {
    const diff = createTwoFilesPatch(a, b, before, after, undefined, undefined, {
      context: 3,
      timeout: timeoutMs,
    });
    return diff === undefined ? summary(path, before, after, timeoutMs) : { diff, complete: true };
  }
  const diffPath = createRequire(import.meta.url).resolve('diff');
  const diff = await new Promise<string | undefined>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { diffPath, a, b, before, after, timeoutMs },
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(undefined);
    }, timeoutMs + 1000);
    worker.once('message', (patch: string | null) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(patch ?? undefined);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return diff === undefined ? summary(path, before, after, timeoutMs) : { diff, complete: true };
}

function summary(path: string, before: string, after: string, timeoutMs: number): TextDiff {
  const lines = (s: string) => s.split('\n').length;
  return {
    diff: `(no diff: comparing ${lines(before)} lines with ${lines(after)} lines of ${path} took longer than ${timeoutMs} ms; read the file to see the result)\n`,
    complete: false,
  };
}
