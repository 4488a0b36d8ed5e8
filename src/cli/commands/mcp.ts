import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { keepInSync } from '../../app/keep-in-sync.js';
import { BerthError } from '../../errors.js';
import {
  CLIENTS,
  clientSnippet,
  shellWord,
  type ClientName,
  type Connection,
} from '../../mcp/client-config.js';
import { loadOrCreateToken } from '../../http/token.js';
import { berthHome } from '../../store/berth-home.js';
import type { GlobalOptions } from '../context.js';
import { printLine, progress } from '../output.js';
import { parsePositiveInt } from './exec.js';

interface McpOptions {
  http?: boolean;
  allowHost?: string[];
  ops?: string;
  host: string;
  port: number;
  token?: string;
  maxBody?: number;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port from 0 to 65535');
  return n;
}

export function registerMcpCommand(program: Command): void {
  const mcp = program
    .command('mcp')
    .description('serve every project through one MCP server (stdio by default, or Streamable HTTP)')
    .option('--http', 'serve Streamable HTTP instead of stdio')
    .option('--host <address>', 'address to listen on (HTTP)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (HTTP; 0 picks a free one)', parsePort, 7878)
    .option('--token <token>', 'bearer token for HTTP (default: generated once, stored in BERTH_HOME)')
    .option('--max-body <bytes>', 'largest HTTP request body', parsePositiveInt)
    .option('--allow-host <host:port...>', 'also accept these Host values (a published port or a proxy)')
    .option('--ops <url>', 'split mode: no engine socket here; commands go through the side-car at this URL')
    .action(async (opts: McpOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { openContext, openSessionsFor } = await import('../context.js');
      await using ctx = openContext(globals, opts.ops !== undefined ? { opsUrl: opts.ops } : {});
      const [{ createServer }, { StdioServerTransport }, { startHttpServer }] = await Promise.all([
        import('../../mcp/server.js'),
        import('@modelcontextprotocol/sdk/server/stdio.js'),
        import('../../mcp/http/http-server.js'),
      ]);
      const hub = ctx.projects;
      // sessions need the engine: not in split mode
      const sessions = opts.ops === undefined ? await openSessionsFor(ctx) : undefined;
      // synced projects stay in sync while the server runs (not in split mode: no engine here)
      const sync = opts.ops === undefined ? await ctx.sync() : undefined;
      // team workspaces and their previews need the engine too
      const teams = opts.ops === undefined ? await ctx.teams() : undefined;
      const deps = {
        hub,
        logger: ctx.logger,
        ...(sessions ? { sessions } : {}),
        ...(sync ? { sync } : {}),
        ...(teams ? { teams } : {}),
      };
      const stopProjectSync = sync ? await keepInSync(sync, ctx.logger) : async () => undefined;
      // synced team work trees too, the same way
      const stopTeamSync = teams
        ? await keepInSync(await teams.syncService(), ctx.logger)
        : async () => undefined;
      const stopSync = async () => {
        await stopProjectSync();
        await stopTeamSync();
      };
      if (!opts.http) {
        const server = createServer(deps);
        const closed = new Promise<void>((resolve) => (server.server.onclose = resolve));
        await server.connect(new StdioServerTransport());
        // The client closing our stdin ends the session; the SDK's transport does not watch for
        // it, and without this the process would sit on a promise nothing settles (exit 13).
        const endOfInput = () => void server.close();
        process.stdin.once('end', endOfInput).once('close', endOfInput);
        await closed;
        await stopSync();
        return;
      }
      const token = opts.token ?? loadOrCreateToken(berthHome()).token;
      if (token.length < 16)
        throw new BerthError('INVALID_ARGUMENT', 'the token must be at least 16 characters');
      const running = await startHttpServer(deps, {
        host: opts.host,
        port: opts.port,
        token,
        ...(opts.maxBody !== undefined ? { maxBodyBytes: opts.maxBody } : {}),
        ...(opts.allowHost !== undefined ? { extraHosts: opts.allowHost } : {}),
      });
      progress(`berth MCP server on ${running.url}`);
      progress(`token: ${token}`);
      progress(`register it: ${configHint(globals, opts, running.port)}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
      await stopSync();
    });

  mcp
    .command('config')
    .description('print the snippet that registers berth with an MCP client')
    .argument('<client>', `one of: ${CLIENTS.join(', ')}`)
    .option('--http', 'register the HTTP server instead of stdio')
    .option('--host <address>', 'address the HTTP server listens on', '127.0.0.1')
    .option('--port <port>', 'port the HTTP server listens on', parsePort, 7878)
    .option('--token <token>', 'bearer token (default: the one stored in BERTH_HOME)')
    .action((client: string, own: McpOptions, cmd: Command) => {
      const opts = configOptions(own, cmd);
      if (!(CLIENTS as readonly string[]).includes(client)) {
        throw new BerthError(
          'INVALID_ARGUMENT',
          `unknown client "${client}"; use one of: ${CLIENTS.join(', ')}`,
        );
      }
      // this command's own options: the parent's defaults would otherwise win
      const connection: Connection = opts.http
        ? {
            kind: 'http',
            url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}/mcp`,
            token: opts.token ?? loadOrCreateToken(berthHome()).token,
          }
        : {
            kind: 'stdio',
            command: process.execPath,
            args: stdioArgs(cmd.optsWithGlobals<GlobalOptions>()),
            // without it the client's berth would use ~/.berth: a second history, token and sessions
            env: { BERTH_HOME: resolve(berthHome()) },
          };
      printLine(clientSnippet(client as ClientName, connection));
    });
}

/**
 * `mcp config --http --port N`: commander hands options it finds after `config` to `mcp` when
 * `mcp` has them too (the program does not use positional options), so the ones given on the
 * command line are taken from whichever of the two got them.
 */
function configOptions(own: McpOptions, cmd: Command): McpOptions {
  const parent = cmd.parent;
  if (!parent) return own;
  const merged: Record<string, unknown> = { ...own };
  for (const key of ['http', 'host', 'port', 'token'] as const) {
    if (cmd.getOptionValueSource(key) !== 'cli' && parent.getOptionValueSource(key) === 'cli')
      merged[key] = parent.getOptionValue(key);
  }
  return merged as unknown as McpOptions;
}

/** Absolute paths throughout, so the snippet works from any folder the client starts it in. */
function stdioArgs(globals: GlobalOptions): string[] {
  const bin = fileURLToPath(new URL('../../../bin/berth.js', import.meta.url));
  const where = globals.file !== undefined ? ['-f', absolute(globals.file)] : ['-C', process.cwd()];
  return [bin, ...where, 'mcp'];
}

function absolute(path: string): string {
  return resolve(path);
}

/**
 * The `berth mcp config` command that registers this very server: the same hub, BERTH_HOME,
 * address and port, and the token when it is not the stored one (which config reads by itself).
 */
function configHint(globals: GlobalOptions, opts: McpOptions, port: number): string {
  const words = ['berth'];
  if (globals.file !== undefined) words.push('-f', absolute(globals.file));
  else words.push('-C', process.cwd());
  words.push('mcp', 'config', '<claude|cursor|vscode|generic>', '--http');
  if (opts.host !== '127.0.0.1') words.push('--host', opts.host);
  words.push('--port', String(port));
  if (opts.token !== undefined) words.push('--token', opts.token);
  const env = process.env.BERTH_HOME !== undefined ? [`BERTH_HOME=${resolve(berthHome())}`] : [];
  return [...env, ...words].map((w) => (w.startsWith('<') ? w : shellWord(w))).join(' ');
}
