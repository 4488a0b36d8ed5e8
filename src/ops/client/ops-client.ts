import { request, type IncomingMessage } from 'node:http';
import { BerthError, isBerthErrorCode, type BerthErrorCode } from '../../errors.js';
import { decodeEvent, NdjsonDecoder, runBody, type RunEvent, type RunRequest } from '../protocol.js';
import { flowGate } from '../../runtime/flow-gate.js';

export interface OpsEndpoint {
  /** http://host:port or unix:///path/to/ops.sock */
  url: string;
  token: string;
}

export interface RunOutcome {
  runId: string;
  code: number;
  durationMs: number;
  timedOut: boolean;
  truncated: boolean;
}

export interface RunHandlers {
  onStart?: (runId: string) => void;
  /** Returning false pauses reading the stream until `drain` resolves (backpressure). */
  onStdout?: (chunk: Buffer) => boolean | void;
  onStderr?: (chunk: Buffer) => boolean | void;
  drain?: () => Promise<void>;
}

/** Talks to the ops side-car; used by `berth run` and by the MCP server in split mode. */
export class OpsClient {
  constructor(private readonly endpoint: OpsEndpoint) {}

  async run(req: RunRequest, handlers: RunHandlers = {}, signal?: AbortSignal): Promise<RunOutcome> {
    const res = await this.send('POST', '/run', runBody(req), signal);
    if (res.statusCode !== 200) throw await this.refusal(res);
    let runId = '';
    let outcome: RunOutcome | undefined;
    let full = false;
    const onEvent = (event: RunEvent) => {
      if (event.type === 'start') {
        runId = event.run_id;
        handlers.onStart?.(runId);
      } else if (event.type === 'stdout' || event.type === 'stderr') {
        if ((event.type === 'stdout' ? handlers.onStdout : handlers.onStderr)?.(event.data) === false)
          full = true;
      } else {
        outcome = {
          runId,
          code: event.code,
          durationMs: event.duration_ms,
          timedOut: event.timed_out,
          truncated: event.truncated,
        };
      }
    };
    const lines = new NdjsonDecoder();
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => {
        res.destroy();
        reject(signal?.aborted ? interrupted() : err);
      };
      // a full reader stops the reading, so the side-car's writes block and the command pauses
      const gate = flowGate(res, handlers.drain);
      res.on(
        'data',
        gate((chunk: Buffer) => {
          full = false;
          try {
            for (const line of lines.push(chunk)) onEvent(decodeEvent(line));
          } catch (err) {
            fail(err);
            return;
          }
          return !full;
        }),
      );
      res.once('end', () => resolve());
      res.once('error', fail);
      res.once('aborted', () =>
        fail(new BerthError('PROTOCOL_ERROR', 'the side-car closed the stream early')),
      );
    });
    if (!outcome) {
      throw new BerthError('PROTOCOL_ERROR', 'the side-car ended the run without an exit event', {
        unparsedBytes: lines.leftover,
      });
    }
    return outcome;
  }

  async getJson<T>(path: string): Promise<T> {
    const res = await this.send('GET', path);
    if (res.statusCode !== 200) throw await this.refusal(res);
    return JSON.parse(await readAll(res)) as T;
  }

  async postJson<T>(path: string): Promise<T> {
    const res = await this.send('POST', path, {});
    if (res.statusCode !== 200) throw await this.refusal(res);
    return JSON.parse(await readAll(res)) as T;
  }

  private send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const target = this.endpoint.url.startsWith('unix://')
      ? { socketPath: this.endpoint.url.slice('unix://'.length), host: 'localhost' }
      : (() => {
          const u = new URL(this.endpoint.url);
          return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) };
        })();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...target,
          method,
          path,
          headers: {
            Authorization: `Bearer ${this.endpoint.token}`,
            ...(text !== undefined
              ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }
              : {}),
          },
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') return reject(interrupted());
        reject(
          new BerthError(
            'SIDECAR_UNREACHABLE',
            `the ops side-car at ${this.endpoint.url} does not answer (${err.code ?? err.message}); start it with \`berth ops serve\``,
          ),
        );
      });
      req.end(text);
    });
  }

  /** A non-200 answer: the side-car's own code, kept (PROTOCOL_ERROR when it sent none). */
  private async refusal(res: IncomingMessage): Promise<BerthError> {
    const text = await readAll(res);
    let message = text;
    let code: BerthErrorCode = 'PROTOCOL_ERROR';
    try {
      const body = JSON.parse(text) as { error?: unknown; code?: unknown };
      if (typeof body.error === 'string') message = body.error;
      if (isBerthErrorCode(body.code)) code = body.code;
    } catch {
      // not JSON
    }
    return new BerthError(code, `the side-car refused (${res.statusCode}): ${message}`, {
      status: res.statusCode,
    });
  }
}

function interrupted(): BerthError {
  return new BerthError('CANCELLED', 'interrupted');
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.once('end', () => resolve(text));
    res.once('error', reject);
  });
}
