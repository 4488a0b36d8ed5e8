import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { Sessions } from '../src/sessions/sessions.js';
import { makeGitProject } from './helpers/git-project.js';
import { connectInMemory, textOf } from './helpers/mcp-connect.js';
import { createTestHub } from './helpers/test-hub.js';

describe('session_start over MCP gives the agent no say over the network', () => {
  it('lists no network field and refuses unknown fields; a call with network starts nothing', async () => {
    await using t = createTestHub({ projects: { app: { path: './app', image: 'berth-test/busybox' } } });
    makeGitProject(join(t.dir, 'app'));
    const sessions = new Sessions({
      runtime: t.runtime,
      table: t.store.sessions(),
      logger: silentLogger(),
      home: t.home,
    });
    await using mcp = await connectInMemory(t.hub, sessions);

    const { tools } = await mcp.client.listTools();
    const schema = tools.find((tool) => tool.name === 'session_start')!.inputSchema;
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(['project', 'runtime']);
    expect(schema.additionalProperties).toBe(false);

    for (const network of ['bridge', 'none', 'host']) {
      const refused = await mcp.call('session_start', { project: 'app', runtime: 'runc', network });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/session_start takes no network/);
      expect(textOf(refused)).toMatch(/berth session start --network/);
    }
    const other = await mcp.call('session_start', { project: 'app', privileged: true });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toMatch(/does not take "privileged"/);
    // refused before anything started: no session record, so no sandbox and no container
    expect(sessions.list()).toEqual([]);

    const started = await mcp.call('session_start', { project: 'app', runtime: 'runc' });
    expect(started.isError ?? false, textOf(started)).toBe(false);
    const { session, network } = started.structuredContent as { session: string; network: string };
    try {
      expect(network).toBe('none');
      const ran = await mcp.call('run_command', { session, command: 'ls /sys/class/net | tr "\\n" " "' });
      expect((ran.structuredContent as { stdout: string }).stdout.trim()).toBe('lo');
    } finally {
      await sessions.discard(session);
    }
  });
});
