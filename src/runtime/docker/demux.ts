import type { Readable } from 'node:stream';

/**
 * Splits the engine's multiplexed exec/log stream (8-byte header: stream id, 3 zero bytes,
 * big-endian length) into stdout and stderr chunks as they arrive.
 */
export function demux(stream: Readable, onStdout: (b: Buffer) => void, onStderr: (b: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const payload = pending.subarray(8, 8 + size);
      if (pending[0] === 2) onStderr(payload);
      else onStdout(payload);
      pending = pending.subarray(8 + size);
    }
  });
}
