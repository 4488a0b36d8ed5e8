import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOpsServer } from '../src/ops/http/ops-server.js';
import { call, exitOf, OPS_TOKEN, output, startTestOps } from './helpers/ops-harness.js';
import { processList } from './helpers/processes.js';
import { busybox, createTestHub, type TestHub } from './helpers/test-hub.js';

describe('ops side-car over HTTP', () => {
  let t: TestHub;
  let ops: RunningOpsServer;

  beforeAll(async () => {
    t = createTestHub({
      projects: { one: busybox('./one'), two: busybox('./two') },
      ops: { deny_commands: ['rm\\s+-rf\\s+/'], max_concurrent: 30 },
    });
    await t.hub.up();
    ops = await startTestOps(t);
  });
  afterAll(async () => {
    await ops?.close();
    await t?.[Symbol.asyncDispose]();
  });

  const history = () => t.store.opsRuns(t.config.hubId).list({ limit: 1000 });

  it('GET /health reports the engine', async () => {
    const r = await call(ops, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, engine: { version: expect.any(String) } });
  });

  it('401 without a token, with a wrong one or one of another length; 403 for a forged Host; 413 over the cap', async () => {
    for (const auth of [
      '',
      `Bearer ${'x'.repeat(OPS_TOKEN.length)}`,
      `Bearer ${OPS_TOKEN}0`,
      'Bearer short',
    ]) {
      const r = await call(ops, 'GET', '/health', { headers: { Authorization: auth } });
      expect(r.status, auth).toBe(401);
    }
    expect((await call(ops, 'GET', '/health', { headers: { Host: 'evil.example' } })).status).toBe(403);
    const big = await call(ops, 'POST', '/run', {
      body: { target: 'project:one', command: 'x'.repeat(2 * 1024 * 1024) },
    });
    expect(big.status).toBe(413);
  });

  it('400 naming the field for malformed JSON or missing and wrong fields', async () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /body is not valid JSON/],
      [{ command: 'true' }, /^target is required/],
      [{ target: 'project:one' }, /^command is required/],
      [{ target: 'project:one', command: [] }, /^command is required/],
      [{ target: 'project:one', command: 'true', timeout_ms: -1 }, /^timeout_ms must be a whole number/],
      [{ target: 'project:one', command: 'true', env: { A: 1 } }, /^env must be an object of strings/],
      [{ target: 'project:one', command: 'true', sudo: true }, /^sudo is not a known field/],
    ];
    for (const [body, message] of cases) {
      const r = await call(ops, 'POST', '/run', body === undefined ? { raw: '{"target": ' } : { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((JSON.parse(r.body) as { error: string }).error).toMatch(message);
    }
  });

  it('refuses unknown targets, raw containers, unlisted Compose projects and denied commands, running nothing', async () => {
    const before = history().length;
    const refused: [unknown, number, RegExp][] = [
      [{ target: 'project:nope', command: 'true' }, 404, /unknown project "nope"; known projects: one, two/],
      [
        { target: t.config.projects[0]!.name, command: 'true' },
        403,
        /target must be project:<name> or service:/,
      ],
      [{ target: 'container:0123456789ab', command: 'true' }, 403, /raw containers are never reachable/],
      [
        { target: 'service:someapp/web', command: 'true' },
        403,
        /Compose project "someapp" is not in ops.allow_targets/,
      ],
      [{ target: 'project:one', command: 'rm  -rf /' }, 403, /matches ops.deny_commands/],
      [{ target: 'project:one', command: 'true', cwd: '../two' }, 400, /leaves the project/],
    ];
    for (const [body, status, message] of refused) {
      const r = await call(ops, 'POST', '/run', { body });
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect((JSON.parse(r.body) as { error: string }).error).toMatch(message);
    }
    expect(history().length).toBe(before);
  });

  it('streams stdout and stderr as NDJSON events, then exit; argv and env work', async () => {
    const r = await call(ops, 'POST', '/run', {
      body: {
        target: 'project:one',
        command: ['/bin/sh', '-c', 'echo "out $X"; echo err >&2; exit 4'],
        env: { X: 'y' },
      },
    });
    expect(r.status).toBe(200);
    expect(r.events[0]).toMatchObject({ type: 'start', run_id: expect.stringMatching(/^run_[0-9a-f]{16}$/) });
    expect(output(r.events)).toBe('out y\n');
    expect(output(r.events, 'stderr')).toBe('err\n');
    expect(r.events.at(-1)).toMatchObject({ type: 'exit', code: 4, timed_out: false, truncated: false });
    const id = String(r.events[0]!.run_id);
    const detail = JSON.parse((await call(ops, 'GET', `/runs/${id}`)).body) as Record<string, unknown>;
    expect(detail).toMatchObject({
      id,
      target: 'project:one',
      status: 'failed',
      exitCode: 4,
      stdout: 'out y\n',
      stderr: 'err\n',
    });
    const listed = JSON.parse((await call(ops, 'GET', '/runs?target=project:one&limit=1')).body) as {
      runs: { id: string }[];
    };
    expect(listed.runs.map((x) => x.id)).toEqual([id]);
    expect((await call(ops, 'GET', '/runs/run_doesnotexist')).status).toBe(404);
  });

  it('cuts a flood at the cap and keeps memory bounded', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const r = await call(ops, 'POST', '/run', {
      body: { target: 'project:one', command: 'head -c 60000000 /dev/zero | tr "\\0" z' },
    });
    const out = output(r.events);
    expect(out.startsWith('z'.repeat(1024 * 1024))).toBe(true);
    expect(out).toContain('[berth: output truncated at 1048576 bytes]');
    expect(out.length).toBeLessThan(1024 * 1024 + 200);
    expect(exitOf(r.events)).toMatchObject({ code: 0, truncated: true });
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('kills a command at its timeout, leaving nothing running', async () => {
    const r = await call(ops, 'POST', '/run', {
      body: { target: 'project:two', command: 'sleep 4441 & sleep 4442', timeout_ms: 500 },
    });
    expect(exitOf(r.events)).toMatchObject({ timed_out: true });
    expect((await processList(t.hub, 'two')).filter((l) => l.includes('sleep 444'))).toEqual([]);
  });

  it('50 concurrent runs against two targets complete with their own exit codes and unmixed output', async () => {
    const runs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(ops, 'POST', '/run', {
          body: {
            target: i % 2 === 0 ? 'project:one' : 'project:two',
            command: `for n in 1 2 3 4 5 6 7 8 9 10; do echo run${i}-line$n; done; exit ${i % 7}`,
          },
        }),
      ),
    );
    runs.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(output(r.events)).toBe(Array.from({ length: 10 }, (_, n) => `run${i}-line${n + 1}\n`).join(''));
      expect(exitOf(r.events)).toMatchObject({ code: i % 7 });
    });
  });

  it('a client that disconnects mid-run leaves no process behind', async () => {
    const controller = new AbortController();
    let runId = '';
    const pending = call(ops, 'POST', '/run', {
      body: { target: 'project:one', command: 'echo started; sleep 5551 & sleep 5552' },
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'start') runId = String(e.run_id);
        if (e.type === 'stdout') controller.abort();
      },
    }).catch(() => undefined);
    await pending;
    const deadline = Date.now() + 5000;
    let left: string[];
    do {
      await new Promise((r) => setTimeout(r, 200));
      left = (await processList(t.hub, 'one')).filter((l) => l.includes('sleep 555'));
    } while (left.length > 0 && Date.now() < deadline);
    expect(left).toEqual([]);
    // the run is recorded once the server has seen its exec end, which may come after the kill
    const status = async () =>
      (JSON.parse((await call(ops, 'GET', `/runs/${runId}`)).body) as { status: string }).status;
    await expect.poll(status, { timeout: 5000 }).toBe('cancelled');
  });

  it('POST /runs/:id/cancel kills a running command', async () => {
    let runId = '';
    const running = call(ops, 'POST', '/run', {
      body: { target: 'project:two', command: 'sleep 6661' },
      onEvent: (e) => {
        if (e.type === 'start') runId = String(e.run_id);
      },
    });
    while (runId === '') await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const cancel = await call(ops, 'POST', `/runs/${runId}/cancel`);
    expect(cancel.status).toBe(200);
    const done = await running;
    expect(exitOf(done.events)?.code).not.toBe(0);
    expect((await processList(t.hub, 'two')).filter((l) => l.includes('sleep 6661'))).toEqual([]);
    expect((await call(ops, 'POST', `/runs/${runId}/cancel`)).status).toBe(409);
  });
});

describe('ops side-car on a unix socket, with a queue', () => {
  it('listens on a 0600 socket, and max_concurrent queues the rest (visible in /runs)', async () => {
    await using t = createTestHub({ projects: { q: busybox('./q') }, ops: { max_concurrent: 1 } });
    await t.hub.up();
    const socket = `${t.dir}/ops.sock`;
    const ops = await startTestOps(t, { socket });
    try {
      const { statSync } = await import('node:fs');
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      const viaSocket = (body: unknown) =>
        new Promise<string>((resolve, reject) => {
          const req = request(
            {
              socketPath: socket,
              method: 'POST',
              path: '/run',
              headers: { Authorization: `Bearer ${OPS_TOKEN}` },
            },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c.toString()));
              res.on('end', () => resolve(text));
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify(body));
        });
      const started = Date.now();
      const first = viaSocket({ target: 'project:q', command: 'sleep 1; echo first' });
      await new Promise((r) => setTimeout(r, 300));
      const second = viaSocket({ target: 'project:q', command: 'echo second' });
      await new Promise((r) => setTimeout(r, 200));
      const runs = t.store.opsRuns(t.config.hubId).list({ limit: 10 });
      expect(runs.map((r) => r.status).sort()).toEqual(['queued', 'running']);
      expect(await first).toContain('"data":"first\\n"');
      expect(await second).toContain('"data":"second\\n"');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    } finally {
      await ops.close();
    }
  });
});

describe('ops side-car backpressure', () => {
  it('a reader that stops reading pauses the command instead of growing memory; nothing is lost', async () => {
    await using t = createTestHub({ projects: { big: busybox('./big', { resources: { memory: '128m' } }) } });
    await t.hub.up();
    const ops = await startTestOps(t);
    try {
      const url = new URL(ops.url);
      const total = 150_000_000;
      const rssBefore = process.memoryUsage().rss;
      let peak = 0;
      const received = await new Promise<{ bytes: number; exit: Record<string, unknown> | undefined }>(
        (resolve, reject) => {
          const req = request(
            {
              host: url.hostname,
              port: Number(url.port),
              method: 'POST',
              path: '/run',
              headers: { Authorization: `Bearer ${OPS_TOKEN}` },
            },
            (res) => {
              let bytes = 0;
              let pending = '';
              let exit: Record<string, unknown> | undefined;
              let paused = false;
              res.setEncoding('utf8');
              res.on('data', (c: string) => {
                pending += c;
                let nl = pending.indexOf('\n');
                while (nl !== -1) {
                  const e = JSON.parse(pending.slice(0, nl)) as Record<string, unknown>;
                  if (e.type === 'stdout') bytes += Buffer.from(String(e.data), 'base64').length;
                  if (e.type === 'exit') exit = e;
                  pending = pending.slice(nl + 1);
                  nl = pending.indexOf('\n');
                }
                if (!paused && bytes > 1_000_000) {
                  paused = true;
                  res.pause();
                  // three seconds of not reading while the command could write ~400 MB
                  setTimeout(() => {
                    peak = process.memoryUsage().rss - rssBefore;
                    res.resume();
                  }, 3000);
                }
              });
              res.on('end', () => resolve({ bytes, exit }));
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          req.end(
            JSON.stringify({
              target: 'project:big',
              command: `head -c ${total} /dev/zero`,
              max_output_bytes: 300_000_000,
            }),
          );
        },
      );
      expect(received.bytes).toBe(total);
      expect(received.exit).toMatchObject({ code: 0, truncated: false });
      expect(peak).toBeLessThan(80 * 1024 * 1024);
    } finally {
      await ops.close();
    }
  }, 60_000);
});
