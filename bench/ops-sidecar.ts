import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, log } from './log.js';
import type { OpsHttpEndpoint } from './ops-http-run.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));
const READY = /berth ops side-car on (http:\/\/\S+)/;
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/** How much of the side-car's stderr is kept to explain a failure. */
const STDERR_TAIL_CHARS = 8 * 1024;

/** A spawned `node bin/berth.js -f <berth.yaml> ops serve --listen 127.0.0.1:0 --token <t>`. */
export interface OpsSidecar extends OpsHttpEndpoint {
  /** BERTH_HOME, BERTH_OPS_URL and BERTH_OPS_TOKEN for a `berth run` child that talks to it. */
  clientEnv: NodeJS.ProcessEnv;
  /** Its stderr so far (the tail), for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after a grace period; closes the agent's sockets. Never throws. */
  stop(): Promise<void>;
}

/** Starts the side-car on a free loopback port with a fresh token, sharing `home` with the hub. */
export async function startOpsSidecar(
  configFile: string,
  home: string,
  signal: AbortSignal,
): Promise<OpsSidecar> {
  const token = randomBytes(24).toString('hex');
  const env = { ...process.env, BERTH_HOME: home };
  const child = spawn(
    process.execPath,
    [BIN, '-f', configFile, 'ops', 'serve', '--listen', '127.0.0.1:0', '--token', token],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  // read as it comes, the whole run: a full pipe would block the side-car's synchronous log writes
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const stop = () => stopChild(child, agent);
  let url: string;
  try {
    url = await waitForUrl(child, () => stderr, signal);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`ops: side-car pid ${child.pid} on ${url}`);
  return {
    url,
    token,
    agent,
    clientEnv: { ...env, BERTH_OPS_URL: url, BERTH_OPS_TOKEN: token },
    stderrTail: () => stderr.trim(),
    stop,
  };
}

function waitForUrl(child: ChildProcess, stderr: () => string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, url?: string) => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(url!);
    };
    const said = () => (stderr().trim() === '' ? '' : `; its stderr: ${stderr().trim()}`);
    const onExit = (code: number | null, sig: NodeJS.Signals | null) =>
      done(new Error(`the ops side-car exited with ${code ?? sig} before listening${said()}`));
    const onError = (err: Error) => done(new Error(`could not start the ops side-car: ${describe(err)}`));
    const onAbort = () => done(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
    const timer = setTimeout(
      () => done(new Error(`the ops side-car did not listen within ${READY_TIMEOUT_MS} ms${said()}`)),
      READY_TIMEOUT_MS,
    );
    // added after the tail collector, so stderr() already holds this chunk
    const onData = () => {
      const match = READY.exec(stderr());
      if (match) done(undefined, match[1]!);
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
  });
}

async function stopChild(child: ChildProcess, agent: Agent): Promise<void> {
  agent.destroy();
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const within = (ms: number) =>
    Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  try {
    child.kill('SIGTERM');
    if (await within(STOP_GRACE_MS)) return;
    log(`ops: side-car pid ${child.pid} still running ${STOP_GRACE_MS} ms after SIGTERM; sending SIGKILL`);
    child.kill('SIGKILL');
    if (!(await within(STOP_GRACE_MS))) log(`ops: side-car pid ${child.pid} did not exit; kill it by hand`);
  } catch (err) {
    log(`ops: could not stop the side-car pid ${child.pid}: ${describe(err)}`);
  }
}
