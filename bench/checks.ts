import { timedSeries, type TimedSeries } from './alternating-runs.js';
import { mustRun } from './child.js';

/**
 * The checks every part makes of what it timed, in one place: a run whose result is wrong
 * (exit code, output, byte count) throws, so a wrong result is never a figure.
 */

/** Both produced the same text (berth and its baseline, or a tool and the file it wrote). */
export function expectSame(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  throw new Error(
    `${what}: got ${actual.length} characters that differ from the ${expected.length} expected`,
  );
}

/** Exit code 0, no timeout; `truncated` only where a byte count is checked instead. */
export function expectExit(
  exit: { code: number | null; timedOut?: boolean; truncated?: boolean; stderr?: string },
  what: string,
  truncatedAllowed = false,
): void {
  if (exit.code === 0 && !exit.timedOut && (truncatedAllowed || !exit.truncated)) return;
  const { stderr, ...rest } = exit;
  throw new Error(`${what}: ${JSON.stringify(rest)}${stderr ? `, stderr: ${stderr.trim()}` : ''}`);
}

/** Exactly `expected` on stdout (its first bytes and its total count). */
export function expectStdout(head: string, bytes: number, expected: string, what: string): void {
  if (bytes === Buffer.byteLength(expected) && head === expected) return;
  throw new Error(
    `${what}: stdout ${JSON.stringify(head)} (${bytes} bytes), expected ${JSON.stringify(expected)}`,
  );
}

/** Exactly `bytes` zero bytes on stdout (`head` is its beginning). */
export function expectZeros(head: string, count: number, bytes: number, what: string): void {
  if (count !== bytes) throw new Error(`${what}: ${count} bytes arrived, expected exactly ${bytes}`);
  if (/[^\0]/.test(head)) throw new Error(`${what}: the stream does not start with zero bytes`);
}

export function defined<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}

/** `docker exec <container> <argv…>` as a CLI child process, the baseline of most parts. */
export function dockerExec(containerId: string, argv: string[], label = 'docker exec'): TimedSeries {
  return timedSeries(label, async () => (await mustRun('docker', ['exec', containerId, ...argv])).ms);
}
