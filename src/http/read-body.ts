import type { IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
}

/** Reads the body up to `max` bytes; past that it stops reading and throws BodyTooLarge. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

export type JsonBody = { ok: true; body: unknown } | { ok: false; reason: 'too-large' | 'not-json' };

/** Reads and parses a JSON body within `max` bytes; the caller turns a refusal into 413 or 400. */
export async function readJsonBody(req: IncomingMessage, max: number): Promise<JsonBody> {
  let raw: Buffer;
  try {
    raw = await readBody(req, max);
  } catch (err) {
    if (err instanceof BodyTooLarge) return { ok: false, reason: 'too-large' };
    throw err;
  }
  try {
    return { ok: true, body: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false, reason: 'not-json' };
  }
}
