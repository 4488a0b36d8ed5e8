export const CLIENTS = ['claude', 'cursor', 'vscode', 'generic'] as const;
export type ClientName = (typeof CLIENTS)[number];

export type Connection =
  | {
      kind: 'stdio';
      command: string;
      args: string[];
      /** Set for the server process (BERTH_HOME above all: without it, a second ~/.berth). */
      env: Record<string, string>;
    }
  | { kind: 'http'; url: string; token: string };

/** The exact text that registers berth with an MCP client. */
export function clientSnippet(client: ClientName, c: Connection): string {
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  const stdioEntry = c.kind === 'stdio' ? { command: c.command, args: c.args, env: c.env } : undefined;
  const headers = c.kind === 'http' ? { Authorization: `Bearer ${c.token}` } : undefined;
  switch (client) {
    case 'claude':
      if (c.kind === 'stdio') {
        return [
          '# Claude Code: run this once',
          `claude mcp add berth ${Object.entries(c.env)
            .map(([k, v]) => `-e ${shellWord(`${k}=${v}`)} `)
            .join('')}-- ${[c.command, ...c.args].map(shellWord).join(' ')}`,
          '',
          '# Claude Desktop: merge into claude_desktop_config.json',
          json({ mcpServers: { berth: stdioEntry } }),
        ].join('\n');
      }
      return [
        '# Claude Code: run this once',
        `claude mcp add --transport http berth ${c.url} --header ${shellWord(`Authorization: Bearer ${c.token}`)}`,
      ].join('\n');
    case 'cursor':
      return [
        '# Cursor: merge into .cursor/mcp.json (this project) or ~/.cursor/mcp.json (everywhere)',
        json({ mcpServers: { berth: c.kind === 'stdio' ? stdioEntry : { url: c.url, headers } } }),
      ].join('\n');
    case 'vscode':
      return [
        '# VS Code: merge into .vscode/mcp.json',
        json({
          servers: {
            berth:
              c.kind === 'stdio' ? { type: 'stdio', ...stdioEntry } : { type: 'http', url: c.url, headers },
          },
        }),
      ].join('\n');
    case 'generic':
      return c.kind === 'stdio'
        ? ['# any MCP client: start this command and speak MCP over its stdin/stdout', json(stdioEntry)].join(
            '\n',
          )
        : [
            '# any MCP client: Streamable HTTP with this header on every request',
            json({ url: c.url, headers }),
          ].join('\n');
  }
}

/** The word as POSIX sh reads it back: bare when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
