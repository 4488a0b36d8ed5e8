/**
 * The sync agent's entry, run by a bare `node` in berth's side-car (a scratch image):
 *   main.js idle                                   the side-car's main process: stays alive, exits on TERM
 *   main.js serve --root DIR [--uid N --gid N] [--attic-max-bytes N]
 *                                                  serves the replica at DIR over stdin/stdout
 * It imports only node builtins, `ignore` and relative modules (agent-image.ts checks that).
 * stdout carries the protocol alone; stderr short diagnostics.
 */
import * as fs from 'node:fs';
import { LocalReplica } from '../../workspace/sync-tree/local-replica.js';
import { serveReplica } from './agent-server.js';

interface ServeArgs {
  root: string;
  owner?: { uid: number; gid: number };
  atticMaxBytes?: number;
}

function fail(message: string): never {
  process.stderr.write(`berth sync agent: ${message}\n`);
  process.exit(2);
}

function parseServe(args: string[]): ServeArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!['--root', '--uid', '--gid', '--attic-max-bytes'].includes(flag) || value === undefined)
      fail(`unknown or incomplete option ${flag}`);
    values.set(flag, value);
  }
  const root = values.get('--root');
  if (root === undefined || !root.startsWith('/')) fail('serve needs --root with an absolute folder');
  const id = (flag: string) => {
    const text = values.get(flag);
    if (text === undefined) return undefined;
    if (!/^\d{1,15}$/.test(text)) fail(`${flag} must be a number`);
    return Number(text);
  };
  const uid = id('--uid');
  const gid = id('--gid');
  if ((uid === undefined) !== (gid === undefined)) fail('--uid and --gid go together');
  const serve: ServeArgs = { root };
  if (uid !== undefined && gid !== undefined) serve.owner = { uid, gid };
  const atticMaxBytes = id('--attic-max-bytes');
  if (atticMaxBytes !== undefined) serve.atticMaxBytes = atticMaxBytes;
  return serve;
}

function idle(): void {
  // the side-car's main process: nothing to do but be there, and go at once when stopped
  const timer = setInterval(() => undefined, 1 << 30);
  // the side-car's readiness check waits for this line (node and its libraries loaded)
  process.stderr.write('berth sync agent: ready\n');
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      clearInterval(timer);
      process.exit(0);
    });
}

async function serve(args: ServeArgs): Promise<void> {
  // nothing in this process resolves a relative path: a full scan may lstat from the working folder
  const replica = new LocalReplica({ ...args, side: 'container', statInCwd: true });
  // stdout through the thread pool: a pipe's process.stdout writes synchronously on Linux, and
  // a client that stops reading would then block the agent's whole loop, its reading included
  const output = fs.createWriteStream('', { fd: 1, highWaterMark: 1024 * 1024 });
  const log = (line: string) => process.stderr.write(`berth sync agent: ${line}\n`);
  try {
    await serveReplica(replica, { input: process.stdin, output, log });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  output.end(() => process.exit(0));
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'idle') idle();
else if (mode === 'serve') void serve(parseServe(rest));
else fail(`unknown mode ${JSON.stringify(mode ?? '')}; use idle or serve`);
