import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cliFixture } from './helpers/cli-fixture.js';

function jsonPart(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf('{'))) as Record<string, unknown>;
}

describe('berth mcp config', () => {
  it('prints a stdio snippet that really starts a working server, from any folder', async () => {
    await using f = cliFixture('pass-fail');
    const r = await f.run(['-f', 'berth.yaml', 'mcp', 'config', 'generic']);
    expect(r.code).toBe(0);
    const entry = jsonPart(r.stdout) as { command: string; args: string[] };
    expect(entry.args).toEqual([
      expect.stringMatching(/\/bin\/berth\.js$/),
      '-f',
      join(f.dir, 'berth.yaml'),
      'mcp',
    ]);
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      cwd: '/',
      env: { ...(process.env as Record<string, string>), BERTH_HOME: f.home },
    });
    const client = new Client({ name: 'snippet-check', version: '1' });
    await client.connect(transport);
    const listed = await client.callTool({ name: 'list_projects', arguments: {} });
    expect(listed.structuredContent).toMatchObject({
      projects: [{ name: 'good' }, { name: 'bad' }, { name: 'docs' }],
    });
    await client.close();
  });

  it('prints each client format, for stdio and for HTTP with the token', async () => {
    await using f = cliFixture('pass-fail');
    const claude = await f.run(['mcp', 'config', 'claude']);
    expect(claude.stdout).toMatch(
      /^# Claude Code: run this once\nclaude mcp add berth -- \S+node \S+\/bin\/berth\.js -C /,
    );
    const vscode = jsonPart((await f.run(['mcp', 'config', 'vscode'])).stdout);
    expect(vscode).toMatchObject({
      servers: { berth: { type: 'stdio', args: expect.arrayContaining(['mcp']) } },
    });
    const cursorHttp = await f.run([
      'mcp',
      'config',
      'cursor',
      '--http',
      '--port',
      '7999',
      '--token',
      't'.repeat(40),
    ]);
    expect(jsonPart(cursorHttp.stdout)).toEqual({
      mcpServers: {
        berth: { url: 'http://127.0.0.1:7999/mcp', headers: { Authorization: `Bearer ${'t'.repeat(40)}` } },
      },
    });
    // without --token, the stored token is created once and reused
    const first = jsonPart((await f.run(['mcp', 'config', 'generic', '--http'])).stdout);
    const second = jsonPart((await f.run(['mcp', 'config', 'generic', '--http'])).stdout);
    expect(first).toEqual(second);
    expect((first.headers as { Authorization: string }).Authorization).toMatch(/^Bearer [\w-]{43}$/);
    const bad = await f.run(['mcp', 'config', 'emacs']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('berth: unknown client "emacs"; use one of: claude, cursor, vscode, generic\n');
  });
});
