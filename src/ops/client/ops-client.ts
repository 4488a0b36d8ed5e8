import { request, type IncomingMessage } from 'node:http';
import { BerthError } from '../../errors.js';
import type { RunRequest } from '../ops-service.js';

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
    const body = {
      target: req.target,
      command: req.command,
      ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
      ...(req.env !== undefined ? { env: req.env } : {}),
      ...(req.timeoutMs !== undefined ? { timeout_ms: req.timeoutMs } : {}),
      ...(req.maxOutputBytes !== undefined ? { max_output_bytes: req.maxOutputBytes } : {}),
    };
    const res = await this.send('POST', '/run', body, signal);
    if (res.statusCode !== 200) throw await this.refusal(res);
    let runId = '';
    let outcome: RunOutcome | undefined;
    let pending = '';
    let full = false;
    const onLine = (line: string) => {
      if (line === '') return;
      const event = JSON.parse(line) as {
        type: string;
        run_id?: string;
        data?: string;
        encoding?: string;
        code?: number;
        duration_ms?: number;
        timed_out?: boolean;
        truncated?: boolean;
      };
      if (event.type === 'start') {
        runId = event.run_id ?? '';
        handlers.onStart?.(runId);
      } else if (event.type === 'stdout' || event.type === 'stderr') {
        const data = Buffer.from(event.data ?? '', event.encoding === 'base64' ? 'base64' : 'utf8');
        if ((event.type === 'stdout' ? handlers.onStdout : handlers.onStderr)?.(data) === false) full = true;
      } else if (event.type === 'exit') {
        outcome = {
          runId,
          code: event.code ?? 1,
          durationMs: event.duration_ms ?? 0,
          timedOut: event.timed_out ?? false,
          truncated: event.truncated ?? false,
        };
      }
    };
    await new Promise<void>((resolve, reject) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl = pending.indexOf('\n');
        while (nl !== -1) {
          onLine(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
          nl = pending.indexOf('\n');
        }
        // the reader is full: stop reading, so the side-car's writes block and the command pauses
        if (full && handlers.drain) {
          full = false;
          res.pause();
          void handlers.drain().then(() => res.resume());
        }
      });
      res.once('end', () => resolve());
      res.once('error', reject);
      res.once('aborted', () =>
        reject(new BerthError('ENGINE_ERROR', 'the side-car closed the stream early')),
      );
    });
    if (!outcome) throw new BerthError('ENGINE_ERROR', 'the side-car ended the run without an exit event');
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
        if (err.name === 'AbortError') return reject(new BerthError('INVALID_ARGUMENT', 'interrupted'));
        reject(
          new BerthError(
            'ENGINE_UNREACHABLE',
            `the ops side-car at ${this.endpoint.url} does not answer (${err.code ?? err.message}); start it with \`berth ops serve\``,
          ),
        );
      });
      req.end(text);
    });
  }

  private async refusal(res: IncomingMessage): Promise<BerthError> {
    const text = await readAll(res);
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON
    }
    return new BerthError('INVALID_ARGUMENT', `the side-car refused (${res.statusCode}): ${message}`, {
      status: res.statusCode,
    });
  }
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
