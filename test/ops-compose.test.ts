import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOpsServer } from '../src/ops/http/ops-server.js';
import { call, exitOf, output, startTestOps } from './helpers/ops-harness.js';
import { busybox, createTestHub, FIXTURES, type TestHub } from './helpers/test-hub.js';

const compose = (project: string, ...args: string[]) =>
  execFileSync(
    'docker-compose',
    ['-p', project, '-f', join(FIXTURES, 'compose-app', 'docker-compose.yml'), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).toString();

describe('ops side-car: service targets in a real Compose project', () => {
  const allowed = `berthops${randomBytes(3).toString('hex')}`;
  const other = `berthother${randomBytes(3).toString('hex')}`;
  let t: TestHub;
  let ops: RunningOpsServer;

  beforeAll(async () => {
    compose(allowed, 'up', '-d');
    compose(other, 'up', '-d');
    t = createTestHub({
      projects: { p: busybox('./p') },
      ops: { allow_targets: ['project:*', `compose:${allowed}`] },
    });
    ops = await startTestOps(t);
  }, 120_000);
  afterAll(async () => {
    await ops?.close();
    await t?.[Symbol.asyncDispose]();
    compose(allowed, 'down', '-t', '1');
    compose(other, 'down', '-t', '1');
  }, 120_000);

  it('runs in the service container found by its compose labels, as `docker compose exec` would', async () => {
    const r = await call(ops, 'POST', '/run', {
      body: { target: `service:${allowed}/web`, command: 'hostname; echo from-web; exit 2', cwd: '/tmp' },
    });
    expect(r.status).toBe(200);
    const [hostname, line] = output(r.events).split('\n');
    const container = execFileSync('docker', [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${allowed}`,
      '--filter',
      'label=com.docker.compose.service=web',
    ])
      .toString()
      .trim();
    expect(container.startsWith(hostname!)).toBe(true);
    expect(line).toBe('from-web');
    expect(exitOf(r.events)).toMatchObject({ code: 2 });
    const worker = await call(ops, 'POST', '/run', {
      body: { target: `service:${allowed}/worker`, command: ['pwd'] },
    });
    expect(output(worker.events)).toBe('/\n');
  });

  it('refuses a Compose project that is not allowed, and a service that does not exist', async () => {
    const refused = await call(ops, 'POST', '/run', {
      body: { target: `service:${other}/web`, command: 'true' },
    });
    expect(refused.status).toBe(403);
    const missing = await call(ops, 'POST', '/run', {
      body: { target: `service:${allowed}/nope`, command: 'true' },
    });
    expect(missing.status).toBe(404);
    expect((JSON.parse(missing.body) as { error: string }).error).toMatch(
      /no running container for service:/,
    );
  });

  it('the berth project stays reachable alongside', async () => {
    const r = await call(ops, 'POST', '/run', { body: { target: 'project:p', command: 'echo ok' } });
    expect(output(r.events)).toBe('ok\n');
  });
});
