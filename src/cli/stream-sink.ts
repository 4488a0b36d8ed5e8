import { fstatSync } from 'node:fs';
import { drained } from '../runtime/flow-gate.js';

export interface StreamSink {
  onStdout: (chunk: Buffer) => boolean;
  onStderr: (chunk: Buffer) => boolean;
  /** Resolves once neither stream has more buffered than its high-water mark. */
  drain: () => Promise<void>;
}

/**
 * Output of a command streamed to this process's stdout and stderr with backpressure: when a
 * slow reader lets a stream's buffer fill, `write` returns false, the command's output pauses
 * until `drain`, and memory stays bounded however much the command prints.
 */
export function processSink(
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): StreamSink {
  return {
    onStdout: (chunk) => out.write(chunk),
    onStderr: (chunk) => err.write(chunk),
    drain: async () => {
      await drained(out);
      await drained(err);
    },
  };
}

/**
 * Commands run in a container get no stdin (they read end-of-file). When this process was given
 * input through a pipe or a file, that input would be silently dropped: this says so instead.
 */
export function stdinNotice(): string | undefined {
  if (process.stdin.isTTY) return undefined;
  let piped: boolean;
  try {
    const st = fstatSync(0);
    piped = st.isFIFO() || (st.isFile() && st.size > 0);
  } catch {
    return undefined;
  }
  return piped
    ? 'berth: stdin is not forwarded: the command reads end-of-file; put the input in a file in the project and redirect it in the command (sh -c "cmd < file")'
    : undefined;
}
