import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, textOf, type McpSession } from './helpers/mcp-connect.js';

const SPLIT = fileURLToPath(new URL('../examples/split/', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sh = (script: string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync('bash', [`${SPLIT}${script}`], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();

const compose = (...args: string[]) =>
  execFileSync('docker-compose', ['-p', 'berth-split', '-f', `${SPLIT}docker-compose.yml`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();

describe('examples/split: an MCP hub with no engine socket, commands through the side-car', () => {
  let port: number;
  let mcp: McpSession;

  beforeAll(async () => {
    port = await freePort();
    sh('up.sh', { BERTH_SPLIT_PORT: String(port) });
    const env = readFileSync(`${SPLIT}.berth-split.env`, 'utf8');
    const token = /BERTH_MCP_TOKEN=(\w+)/.exec(env)![1]!;
    mcp = await connectHttp(`http://127.0.0.1:${port}/mcp`, token);
  }, 180_000);
  afterAll(async () => {
    await mcp?.[Symbol.asyncDispose]();
    sh('down.sh', { BERTH_SPLIT_PORT: String(port) });
    rmSync(`${SPLIT}.berth-sidecar`, { recursive: true, force: true });
  }, 120_000);

  it('the hub container has no engine socket and no DOCKER_HOST; the side-car has the socket', () => {
    const inspect = (service: string) => {
      const id = compose('ps', '-q', service).trim();
      return JSON.parse(execFileSync('docker', ['inspect', id]).toString())[0] as {
        Mounts: { Source: string; Destination: string }[];
        Config: { Env: string[] };
      };
    };
    const hub = inspect('hub');
    expect(hub.Mounts.map((m) => m.Destination)).not.toContain('/var/run/docker.sock');
    expect(hub.Mounts.some((m) => m.Source.endsWith('docker.sock'))).toBe(false);
    expect(hub.Config.Env.some((e) => e.startsWith('DOCKER_HOST='))).toBe(false);
    expect(() => compose('exec', '-T', 'hub', 'test', '-e', '/var/run/docker.sock')).toThrow();
    expect(inspect('sidecar').Mounts.map((m) => m.Destination)).toContain('/var/run/docker.sock');
  });

  it("an MCP client's run_command and run_tests work through the side-car; files go through the bind mount", async () => {
    const listed = await mcp.call('list_projects');
    expect(listed.structuredContent).toMatchObject({
      projects: [
        { name: 'node-app', state: 'running' },
        { name: 'py-app', state: 'running' },
      ],
    });
    const node = await mcp.call('run_command', {
      project: 'node-app',
      command: 'node -e "console.log(1 + 1)"',
    });
    expect(node.structuredContent).toMatchObject({ exit_code: 0, stdout: '2\n' });
    const wrote = await mcp.call('write_file', {
      project: 'py-app',
      path: 'split-check.txt',
      content: 'via the hub\n',
    });
    expect(wrote.isError ?? false).toBe(false);
    try {
      const cat = await mcp.call('run_command', { project: 'py-app', command: 'cat split-check.txt' });
      expect(cat.structuredContent).toMatchObject({ exit_code: 0, stdout: 'via the hub\n' });
    } finally {
      await mcp.call('delete_path', { project: 'py-app', path: 'split-check.txt' });
    }
    const tests = await mcp.call('run_tests');
    expect(tests.structuredContent).toMatchObject({ ok: true });
    const denied = await mcp.call('run_command', { project: 'py-app', command: 'docker ps' });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(/deny_commands/);
  });

  it('the side-car refuses its own container, even when it is listed in allow_targets', () => {
    let stderr = '';
    try {
      compose(
        'exec',
        '-T',
        '-e',
        'BERTH_OPS_URL=unix:///run/berth-ops/ops.sock',
        'hub',
        'node',
        '/opt/berth/bin/berth.js',
        '-f',
        `${SPLIT}berth.yaml`,
        'run',
        '--target',
        'service:berth-split/sidecar',
        '--',
        'true',
      );
    } catch (err) {
      stderr = String((err as { stderr?: Buffer }).stderr);
    }
    expect(stderr).toMatch(/refused \(403\): that service is the side-car itself/);
  });
});
