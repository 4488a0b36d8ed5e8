import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Hub } from '../../src/hub/hub.js';
import { silentLogger } from '../../src/logger.js';
import { createServer } from '../../src/mcp/server.js';
import type { Sessions } from '../../src/sessions/sessions.js';

const BIN = fileURLToPath(new URL('../../bin/berth.js', import.meta.url));

export interface McpSession extends AsyncDisposable {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
}

function session(client: Client, close: () => Promise<void>): McpSession {
  return {
    client,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    [Symbol.asyncDispose]: close,
  };
}

/** The real CLI, `berth -f <file> mcp`, over stdio. */
export async function connectStdio(configFile: string, home: string): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, '-f', configFile, 'mcp'],
    env: { ...(process.env as Record<string, string>), BERTH_HOME: home },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  await client.connect(transport);
  return session(client, () => client.close());
}

export interface HttpServerProcess extends AsyncDisposable {
  url: string;
  token: string;
  child: ChildProcess;
}

/** The real CLI, `berth -f <file> mcp --http --port 0`; resolves once it prints its URL. */
export function startHttpCli(configFile: string, home: string, token: string): Promise<HttpServerProcess> {
  const child = spawn(
    process.execPath,
    [BIN, '-f', configFile, 'mcp', '--http', '--port', '0', '--token', token],
    {
      env: { ...process.env, BERTH_HOME: home },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`berth mcp --http did not start: ${stderr}`)), 15_000);
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const url = /berth MCP server on (\S+)/.exec(stderr)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({
        url,
        token,
        child,
        async [Symbol.asyncDispose]() {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`berth mcp --http exited with ${code}: ${stderr}`)));
  });
}

export async function connectHttp(url: string, token: string): Promise<McpSession> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  await client.connect(transport);
  return session(client, () => client.close());
}

/** The same server in-process, through the SDK's in-memory transport pair. */
export async function connectInMemory(hub: Hub, sessions?: Sessions): Promise<McpSession> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = createServer({ hub, logger: silentLogger(), ...(sessions ? { sessions } : {}) });
  await server.connect(serverSide);
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  await client.connect(clientSide);
  return session(client, async () => {
    await client.close();
    await server.close();
  });
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}
