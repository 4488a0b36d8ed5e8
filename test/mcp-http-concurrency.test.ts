import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectHttp, startHttpCli, textOf } from './helpers/mcp-connect.js';
import { busybox, createTestHub } from './helpers/test-hub.js';

/** As many as the benchmark: on 2 cores this piles up. */
const CALLS = 200;

describe('MCP over HTTP under concurrent load (the real CLI)', () => {
  it(`${CALLS} concurrent run_command all complete, and a ping meanwhile answers promptly`, async () => {
    // room for every call's processes (the test fixtures' 64 pids are not)
    await using t = createTestHub({
      projects: { good: busybox('./good', { resources: { cpus: 1, memory: '256m', pids: 1024 } }) },
    });
    await t.hub.up();
    await using server = await startHttpCli(join(t.dir, 'berth.yaml'), t.home, 'load-token-0123456789abcdef');
    await using load = await connectHttp(server.url, server.token);
    await using other = await connectHttp(server.url, server.token);
    const calls = Array.from({ length: CALLS }, (_, i) =>
      load.call('run_command', { project: 'good', command: `sleep 0.5; echo call ${i}` }),
    );
    // the pings go out while the calls are in flight, from another client and from the same one
    await new Promise((r) => setTimeout(r, 200));
    const pingFrom = async (c: typeof load) => {
      const started = performance.now();
      await c.client.ping();
      return performance.now() - started;
    };
    const [otherPing, samePing] = await Promise.all([pingFrom(other), pingFrom(load)]);
    const results = await Promise.allSettled(calls);
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected'
        ? [`${i}: ${String(r.reason)}`]
        : r.value.isError || textOf(r.value).includes(`call ${i}\n`) === false
          ? [`${i}: ${textOf(r.value).slice(0, 200)}`]
          : [],
    );
    expect(failures).toEqual([]);
    // about 0.1-1 s on an idle 2-core host; before the fix it was 25 s on a loaded one, and past
    // the 10 s header limit connections got 408. The bound leaves room for a suite running beside.
    expect(otherPing).toBeLessThan(5_000);
    expect(samePing).toBeLessThan(5_000);
  }, 120_000);
});
