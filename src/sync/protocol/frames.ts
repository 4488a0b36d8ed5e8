/**
 * The sync agent's wire format, one stream each way:
 *   handshake: 8 magic bytes (different per direction) + u32 BE protocol version, then frames;
 *   frame:     u32 BE total length | u32 BE header length | header JSON (UTF-8) | body bytes.
 * The total counts everything after its own 4 bytes. This file imports only node builtins and
 * relative modules: it runs inside the agent, on a bare `node`.
 */

export const PROTOCOL_VERSION = 1;

/**
 * Distinct per direction and never plain text, so that stray output (a shell's banner, an
 * engine's error) is never taken for the start of a protocol stream.
 */
export const CLIENT_MAGIC = Buffer.from([0x42, 0x53, 0x59, 0x4e, 0x05, 0x27, 0x87, 0x01]);
export const AGENT_MAGIC = Buffer.from([0x42, 0x53, 0x59, 0x4e, 0x87, 0x27, 0x05, 0x02]);
export const HANDSHAKE_BYTES = 12;

/** A header's cap: requests and answers that can grow (scans, ops) carry their JSON in the body. */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** A frame's cap, header included: a file's content crosses as many frames. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024 + MAX_HEADER_BYTES;
/** How much file content one frame carries. */
export const CHUNK_BYTES = 1024 * 1024;

export interface Frame {
  header: Record<string, unknown>;
  body: Buffer;
}

/** Why a stream is no longer readable; the reader closes the connection. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

export function handshake(magic: Buffer): Buffer {
  const out = Buffer.alloc(HANDSHAKE_BYTES);
  magic.copy(out, 0);
  out.writeUInt32BE(PROTOCOL_VERSION, 8);
  return out;
}

export function encodeFrame(header: object, body: Buffer = EMPTY): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER_BYTES)
    throw new FrameError(`a frame header of ${json.length} bytes is over the cap`);
  const total = 4 + json.length + body.length;
  if (total > MAX_FRAME_BYTES) throw new FrameError(`a frame of ${total} bytes is over the cap`);
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32BE(total, 0);
  prefix.writeUInt32BE(json.length, 4);
  return Buffer.concat([prefix, json, body]);
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads the peer's handshake, then frames, from chunks as they arrive. Anything malformed
 * throws FrameError and the decoder is done: the stream cannot be resynchronised.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private handshakeDone = false;
  private broken: FrameError | undefined;

  constructor(
    private readonly peerMagic: Buffer,
    private readonly peerName: string,
  ) {}

  /** The peer's handshake has arrived and matched. */
  get shaken(): boolean {
    return this.handshakeDone;
  }

  /** The frames completed by this chunk (the handshake is consumed silently). */
  push(chunk: Buffer): Frame[] {
    if (this.broken) throw this.broken;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    try {
      return this.drain();
    } catch (err) {
      this.broken = err instanceof FrameError ? err : new FrameError(String(err));
      this.pending = [];
      throw this.broken;
    }
  }

  private drain(): Frame[] {
    const frames: Frame[] = [];
    if (!this.handshakeDone) {
      const head = this.peek(Math.min(this.pendingBytes, HANDSHAKE_BYTES));
      const magicPart = head.subarray(0, Math.min(head.length, this.peerMagic.length));
      if (!magicPart.equals(this.peerMagic.subarray(0, magicPart.length)))
        throw new FrameError(`${this.peerName} did not start with the sync handshake: ${preview(head)}`);
      if (head.length < HANDSHAKE_BYTES) return frames;
      const version = head.readUInt32BE(8);
      if (version !== PROTOCOL_VERSION)
        throw new FrameError(
          `${this.peerName} speaks sync protocol version ${version}, this side speaks ${PROTOCOL_VERSION}`,
        );
      this.take(HANDSHAKE_BYTES);
      this.handshakeDone = true;
    }
    while (this.pendingBytes >= 8) {
      const prefix = this.peek(8);
      const total = prefix.readUInt32BE(0);
      const headerLength = prefix.readUInt32BE(4);
      if (total > MAX_FRAME_BYTES)
        throw new FrameError(`${this.peerName} sent a frame of ${total} bytes (cap ${MAX_FRAME_BYTES})`);
      if (headerLength > MAX_HEADER_BYTES || headerLength + 4 > total)
        throw new FrameError(
          `${this.peerName} sent a frame with a header of ${headerLength} bytes in ${total}`,
        );
      if (this.pendingBytes < total + 4) break;
      const frame = this.take(total + 4);
      frames.push({
        header: parseHeader(frame.subarray(8, 8 + headerLength), this.peerName),
        body: frame.subarray(8 + headerLength),
      });
    }
    return frames;
  }

  /** Joins pieces only when the first is too short (a large frame is joined once, by take). */
  private peek(n: number): Buffer {
    if (this.pending.length > 1 && this.pending[0]!.length < n) this.pending = [Buffer.concat(this.pending)];
    return (this.pending[0] ?? EMPTY).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes -= n;
    return taken;
  }
}

function parseHeader(bytes: Buffer, peer: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new FrameError(`${peer} sent a frame header that is not JSON: ${preview(bytes)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FrameError(`${peer} sent a frame header that is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The first bytes, printable, for an error message. */
export function preview(bytes: Buffer): string {
  const shown = bytes
    .subarray(0, 40)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
  return JSON.stringify(shown + (bytes.length > 40 ? '…' : ''));
}
