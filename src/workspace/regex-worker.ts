import { Worker } from 'node:worker_threads';
import { BerthError } from '../errors.js';

export interface LineMatch {
  path: string;
  line: number;
  text: string;
}

/**
 * A regular expression from an agent can backtrack for minutes. It runs in a worker thread
 * that is terminated at the deadline, so the server never hangs on one.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pattern, files, max } = workerData;
const re = new RegExp(pattern);
const out = [];
let truncated = false;
outer: for (const file of files) {
  const lines = file.text.split('\\n');
  for (let i = 0; i < lines.length; i++) {
    if (re.test(lines[i])) {
      if (out.length >= max) { truncated = true; break outer; }
      out.push({ path: file.path, line: i + 1, text: lines[i] });
    }
  }
}
parentPort.postMessage({ out, truncated });
`;

export function regexSearch(
  pattern: string,
  files: { path: string; text: string }[],
  max: number,
  deadlineMs: number,
): Promise<{ matches: LineMatch[]; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pattern, files, max } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(
        new BerthError(
          'SEARCH_FAILED',
          `the regular expression ran longer than ${deadlineMs} ms and was stopped; simplify it or narrow the search with glob`,
        ),
      );
    }, deadlineMs);
    worker.once('message', (result: { out: LineMatch[]; truncated: boolean }) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve({ matches: result.out, truncated: result.truncated });
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(new BerthError('SEARCH_FAILED', `the search failed: ${err.message}`));
    });
  });
}
