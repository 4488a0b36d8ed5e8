import { chownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun, runCommand } from './child.js';
import { log } from './report.js';

/** The label every container and volume of the by-hand baseline carries (removed by it). */
export const BASELINE_LABEL = 'berth-bench=team-baseline';
const CA = '/etc/ssl/certs/ca-certificates.crt';
const IMAGE = 'berth-preview/node';

/**
 * What a user does without berth to preview a Vite app from a git URL: `git clone`, then
 * `docker run` of a Node image with the clone mounted, `npm install && vite --host`, published on
 * 127.0.0.1, and waiting until it answers. Same image, same CA bundle, same port inside and out.
 */
export class ByHandPreview {
  private container: string | undefined;

  constructor(
    readonly folder: string,
    readonly port: number,
    /** A named volume for npm's cache (warm runs), or none (a cold cache in the container). */
    private readonly npmCache?: string,
  ) {}

  /** Clone and run until the first HTTP answer below 500; returns ms. */
  async start(url: string): Promise<number> {
    const started = performance.now();
    await mustRun('git', ['clone', '-q', url, this.folder]);
    chownTree(this.folder, 1000, 1000);
    await this.run();
    await waitHttp(this.port, 300_000);
    return performance.now() - started;
  }

  /** `docker stop` and `docker start` the same container (node_modules kept), until it answers. */
  async restart(): Promise<number> {
    const started = performance.now();
    await mustRun('docker', ['stop', '-t', '2', this.container!]);
    await mustRun('docker', ['start', this.container!]);
    await waitHttp(this.port, 120_000);
    return performance.now() - started;
  }

  async remove(): Promise<void> {
    if (this.container) await runCommand('docker', ['rm', '-f', this.container]);
    this.container = undefined;
  }

  private async run(): Promise<void> {
    const args = [
      'run',
      '-d',
      '--label',
      BASELINE_LABEL,
      '-u',
      '1000:1000',
      '-p',
      `127.0.0.1:${this.port}:${this.port}`,
      '-v',
      `${this.folder}:/workspace`,
      '-w',
      '/workspace',
      '-v',
      `${CA}:/etc/berth-ca.crt:ro`,
      '-e',
      'NODE_EXTRA_CA_CERTS=/etc/berth-ca.crt',
      ...(this.npmCache ? ['-v', `${this.npmCache}:/home/berth/.npm`] : []),
      IMAGE,
      'sh',
      '-c',
      `npm install --no-audit --no-fund && exec npx --no -- vite --host 0.0.0.0 --port ${this.port} --strictPort`,
    ];
    const r = await mustRun('docker', args);
    this.container = r.stdout.trim();
  }
}

/** A named volume for npm's cache, owned by uid 1000 (the image's user), with the baseline's label. */
export async function npmCacheVolume(name: string): Promise<string> {
  await mustRun('docker', ['volume', 'create', '--label', BASELINE_LABEL, name]);
  await mustRun('docker', ['run', '--rm', '-u', '0', '-v', `${name}:/c`, IMAGE, 'chown', '1000:1000', '/c']);
  return name;
}

export async function removeBaseline(): Promise<void> {
  const ids = (await runCommand('docker', ['ps', '-aq', '--filter', `label=${BASELINE_LABEL}`])).stdout
    .split('\n')
    .filter(Boolean);
  if (ids.length) await runCommand('docker', ['rm', '-f', ...ids]);
  const volumes = (
    await runCommand('docker', ['volume', 'ls', '-q', '--filter', `label=${BASELINE_LABEL}`])
  ).stdout
    .split('\n')
    .filter(Boolean);
  if (volumes.length) await runCommand('docker', ['volume', 'rm', ...volumes]);
}

/** Polls http://127.0.0.1:port/ until it answers below 500. */
export async function waitHttp(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`team: nothing answered on port ${port} within ${timeoutMs} ms`);
  throw new Error(`nothing answered on 127.0.0.1:${port} within ${timeoutMs / 1000} s`);
}

/** The bench's own clone (not container-written yet): a plain walk is fine here. */
function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) {
    const child = join(path, name);
    if (lstatSync(child).isSymbolicLink()) continue;
    chownTree(child, uid, gid);
  }
}
