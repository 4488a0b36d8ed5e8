import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliFixture } from './helpers/cli-fixture.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('berth mcp over stdio', () => {
  it('exits 0 when the client closes stdin, before or after talking', async () => {
    await using f = cliFixture('pass-fail');
    for (const talk of [false, true]) {
      const child = spawn(process.execPath, [BIN, '-f', join(f.dir, 'berth.yaml'), 'mcp'], {
        env: { ...process.env, BERTH_HOME: f.home },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      if (talk) {
        child.stdin.write(`${JSON.stringify(INIT)}\n`);
        await expect.poll(() => stdout, { timeout: 15_000 }).toContain('"serverInfo"');
      }
      const closedAt = Date.now();
      child.stdin.end();
      const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const result = await exited;
      clearTimeout(timeout);
      expect(result, stderr).toEqual({ code: 0, signal: null });
      expect(Date.now() - closedAt).toBeLessThan(5_000);
      expect(stderr).not.toMatch(/unsettled|Warning/);
    }
  });
});
