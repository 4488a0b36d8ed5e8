import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cliFixture } from './helpers/cli-fixture.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

function jsonPart(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf('{'))) as Record<string, unknown>;
}

describe('berth mcp config', () => {
  it('prints a stdio snippet that really starts a working server, from any folder', async () => {
    await using f = cliFixture('pass-fail');
    const r = await f.run(['-f', 'berth.yaml', 'mcp', 'config', 'generic']);
    expect(r.code).toBe(0);
    const entry = jsonPart(r.stdout) as { command: string; args: string[]; env: Record<string, string> };
    expect(entry.args).toEqual([
      expect.stringMatching(/\/bin\/berth\.js$/),
      '-f',
      join(f.dir, 'berth.yaml'),
      'mcp',
    ]);
    // the client starts berth with the snippet's env only: its BERTH_HOME must be this hub's
    expect(entry.env).toEqual({ BERTH_HOME: f.home });
    const { BERTH_HOME: _ignored, ...inherited } = process.env as Record<string, string>;
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      cwd: '/',
      env: { ...inherited, ...entry.env },
    });
    const client = new Client({ name: 'snippet-check', version: '1' });
    await client.connect(transport);
    const listed = await client.callTool({ name: 'list_projects', arguments: {} });
    expect(listed.structuredContent).toMatchObject({
      projects: [{ name: 'good' }, { name: 'bad' }, { name: 'docs' }],
    });
    await client.close();
    // the server used this hub's home (its state file is there), not ~/.berth
    expect(readdirSync(f.home).length).toBeGreaterThan(0);
  });

  it('prints each client format, for stdio and for HTTP with the token', async () => {
    await using f = cliFixture('pass-fail');
    const claude = await f.run(['mcp', 'config', 'claude']);
    expect(claude.stdout).toMatch(
      /^# Claude Code: run this once\nclaude mcp add berth -e BERTH_HOME=\S+ -- \S+node \S+\/bin\/berth\.js -C /,
    );
    expect(claude.stdout).toContain(`-e BERTH_HOME=${f.home} --`);
    expect(jsonPart(claude.stdout)).toMatchObject({
      mcpServers: { berth: { env: { BERTH_HOME: f.home } } },
    });
    const vscode = jsonPart((await f.run(['mcp', 'config', 'vscode'])).stdout);
    expect(vscode).toMatchObject({
      servers: {
        berth: { type: 'stdio', args: expect.arrayContaining(['mcp']), env: { BERTH_HOME: f.home } },
      },
    });
    const cursor = jsonPart((await f.run(['mcp', 'config', 'cursor'])).stdout);
    expect(cursor).toMatchObject({ mcpServers: { berth: { env: { BERTH_HOME: f.home } } } });
    // a relative BERTH_HOME is written out absolute
    const relative = jsonPart((await f.run(['mcp', 'config', 'generic'], { BERTH_HOME: 'rel-home' })).stdout);
    expect(relative.env).toEqual({ BERTH_HOME: join(f.dir, 'rel-home') });
    // a home with a space survives the shell
    const spaced = await f.run(['mcp', 'config', 'claude'], { BERTH_HOME: join(f.dir, 'my home') });
    expect(spaced.stdout).toContain(`-e 'BERTH_HOME=${join(f.dir, 'my home')}' --`);
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

describe('berth mcp --http start hint', () => {
  it('reproduces the options needed to register this server: hub, home, port and a custom token', async () => {
    await using f = cliFixture('pass-fail');
    const token = 'custom-token-0123456789abcdef';
    const child = spawn(
      process.execPath,
      [BIN, '-f', 'berth.yaml', 'mcp', '--http', '--port', '0', '--token', token],
      { cwd: f.dir, env: { ...process.env, BERTH_HOME: f.home }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      const hint = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        const timer = setTimeout(() => reject(new Error(`no hint: ${stderr}`)), 15_000);
        child.stderr!.on('data', (c: Buffer) => {
          stderr += c.toString();
          const line = /register it: (.*)\n/.exec(stderr)?.[1];
          if (line) {
            clearTimeout(timer);
            resolve(line);
          }
        });
      });
      const port = /--port (\d+)/.exec(hint)?.[1];
      expect(hint).toBe(
        `BERTH_HOME=${f.home} berth -f ${join(f.dir, 'berth.yaml')} mcp config <claude|cursor|vscode|generic> ` +
          `--http --port ${port} --token ${token}`,
      );
      // running the hint (for one client) gives the snippet of this very server, token included
      const words = hint.replace('<claude|cursor|vscode|generic>', 'generic').split(' ').slice(2);
      const snippet = jsonPart((await f.run(words)).stdout);
      expect(snippet).toEqual({
        url: `http://127.0.0.1:${port}/mcp`,
        headers: { Authorization: `Bearer ${token}` },
      });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
