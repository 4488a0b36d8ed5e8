import { request, type Agent, type IncomingMessage } from 'node:http';
import { decodeEvent, NdjsonDecoder, type ExitEvent, type RunBody } from '../src/ops/protocol.js';

/** Where the side-car listens, its token, and the one keep-alive agent all requests share. */
export interface OpsHttpEndpoint {
  /** http://127.0.0.1:<port> */
  url: string;
  token: string;
  agent: Agent;
}

export interface PostRunOutcome {
  runId: string;
  exit: ExitEvent;
  /** ms from the request's start until the first stdout event was decoded; undefined if none came. */
  firstStdoutMs: number | undefined;
  /** ms from the request's start until the exit event was decoded. */
  exitMs: number;
  /** Decoded stdout bytes, all events together. */
  stdoutBytes: number;
  /** The first HEAD_BYTES of stdout, for checks. */
  stdoutHead: Buffer;
  stderr: string;
}

const HEAD_BYTES = 4096;
const STDERR_KEPT_CHARS = 4096;

/**
 * One raw `POST /run` with node:http: decodes every NDJSON event as it arrives (base64 output
 * included) and resolves once the response has ended. A non-200 answer, a malformed event, or a
 * stream that ends without an exit event rejects.
 */
export function postRun(
  endpoint: OpsHttpEndpoint,
  body: RunBody,
  signal: AbortSignal,
): Promise<PostRunOutcome> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | undefined, outcome?: PostRunOutcome) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(outcome!);
    };
    const started = performance.now();
    let runId: string | undefined;
    let exit: ExitEvent | undefined;
    let exitMs = 0;
    let firstStdoutMs: number | undefined;
    let stdoutBytes = 0;
    const head: Buffer[] = [];
    let headBytes = 0;
    let stderr = '';

    const onEvent = (line: string) => {
      if (exit !== undefined) throw new Error(`event after the exit event: ${line.slice(0, 200)}`);
      const event = decodeEvent(line);
      if (event.type === 'start') {
        runId = event.run_id;
      } else if (event.type === 'stdout' || event.type === 'stderr') {
        const data = event.data;
        if (event.type === 'stderr') {
          stderr = (stderr + data.toString('utf8')).slice(0, STDERR_KEPT_CHARS);
          return;
        }
        firstStdoutMs ??= performance.now() - started;
        stdoutBytes += data.length;
        if (headBytes < HEAD_BYTES) {
          head.push(data.subarray(0, HEAD_BYTES - headBytes));
          headBytes += Math.min(data.length, HEAD_BYTES - headBytes);
        }
      } else {
        exitMs = performance.now() - started;
        exit = event;
      }
    };

    const onResponse = (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.once('end', () =>
          settle(new Error(`POST /run answered ${res.statusCode}: ${Buffer.concat(parts).toString('utf8')}`)),
        );
        res.once('error', (err) => settle(err));
        return;
      }
      const lines = new NdjsonDecoder();
      res.on('data', (chunk: Buffer) => {
        try {
          for (const line of lines.push(chunk)) onEvent(line);
        } catch (err) {
          settle(err instanceof Error ? err : new Error(String(err)));
          req.destroy();
        }
      });
      res.once('end', () => {
        if (exit === undefined || runId === undefined) {
          const left = lines.leftover;
          return settle(
            new Error(
              `POST /run ended without ${runId ? 'an exit' : 'a start'} event (${left} bytes unparsed)`,
            ),
          );
        }
        settle(undefined, {
          runId,
          exit,
          firstStdoutMs,
          exitMs,
          stdoutBytes,
          stdoutHead: Buffer.concat(head),
          stderr,
        });
      });
      res.once('error', (err) => settle(err));
      res.once('close', () => settle(new Error('the side-car closed the stream before its end')));
    };

    const url = new URL('/run', endpoint.url);
    const req = request(
      url,
      {
        method: 'POST',
        agent: endpoint.agent,
        signal,
        headers: {
          Authorization: `Bearer ${endpoint.token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        },
      },
      onResponse,
    );
    req.once('error', (err) => settle(err));
    req.end(text);
  });
}
