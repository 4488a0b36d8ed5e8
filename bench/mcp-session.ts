import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BERTH_BIN } from './child.js';
import { describe, log } from './report.js';

/** How much of the server's stderr is kept to explain a failure. */
const STDERR_TAIL_CHARS = 8 * 1024;
const CALL_TIMEOUT_MS = 60_000;

/** An MCP SDK `Client` connected over stdio to a spawned `node bin/berth.js -f <berth.yaml> mcp`. */
export interface McpStdioSession {
  /** Calls a tool; a protocol error or an `isError` result throws, with the server's last stderr lines. */
  call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult>;
  toolNames(): Promise<string[]>;
  /** Closes the client, which ends the server process; logs failures, never throws. */
  close(): Promise<void>;
}

/** Spawns the real CLI with BERTH_HOME set to `home`, as an MCP client configured for stdio would. */
export async function connectMcpStdio(configFile: string, home: string): Promise<McpStdioSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BERTH_BIN, '-f', configFile, 'mcp'],
    env: { ...inheritedEnv(), BERTH_HOME: home },
    stderr: 'pipe',
  });
  let stderr = '';
  // read as it comes: a full pipe would block the server's synchronous log writes
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  const serverSaid = () => (stderr.trim() === '' ? '' : `; server stderr: ${stderr.trim()}`);
  const client = new Client({ name: 'berth-bench', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new Error(`could not start \`berth mcp\` over stdio: ${describe(err)}${serverSaid()}`, {
      cause: err,
    });
  }
  return {
    async call(name, args, signal) {
      signal.throwIfAborted();
      // one signal per call: the SDK leaves its abort listener on the signal it is given
      const call = new AbortController();
      const onAbort = () => call.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let result: CallToolResult;
      try {
        result = (await client.callTool({ name, arguments: args }, undefined, {
          signal: call.signal,
          timeout: CALL_TIMEOUT_MS,
        })) as CallToolResult;
      } catch (err) {
        throw new Error(`MCP ${name} failed: ${describe(err)}${serverSaid()}`, { cause: err });
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      if (result.isError) throw new Error(`MCP ${name} returned an error: ${textOf(result)}`);
      return result;
    },
    async toolNames() {
      return (await client.listTools()).tools.map((t) => t.name);
    },
    async close() {
      try {
        await client.close();
      } catch (err) {
        log(`could not close the MCP client: ${describe(err)}`);
      }
    },
  };
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

/** The whole environment (DOCKER_HOST and the like included), not only the SDK's safe default list. */
function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
