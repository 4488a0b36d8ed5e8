import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busybox, createTestHub } from './helpers/test-hub.js';

describe('project isolation', () => {
  it("project A cannot see B's files or reach B's container over the network", async () => {
    await using t = createTestHub({ projects: { a: busybox('./a'), b: busybox('./b') } });
    const marker = `b-secret-${Date.now()}.txt`;
    writeFileSync(join(t.dir, 'b', marker), 'only b may read this');
    const [, b] = await t.hub.up();

    const search = `find / -path /proc -prune -o -path /sys -prune -o -name '${marker}' -print 2>/dev/null`;
    expect((await t.hub.exec('b', ['/bin/sh', '-c', search])).stdout).toBe(`/workspace/${marker}\n`);
    expect((await t.hub.exec('a', ['/bin/sh', '-c', search])).stdout).toBe('');

    // B serves its workspace over HTTP; B itself can fetch it (control), A cannot.
    expect((await t.hub.exec('b', ['httpd', '-p', '8080', '-h', '/workspace'])).exitCode).toBe(0);
    const bInfo = await t.runtime.containers.inspect(b!.containerId);
    const bIp = Object.values(bInfo!.ipAddresses)[0]!;
    expect(bIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // busybox nc, not wget: this busybox build's `wget -T` crashes
    const fetch = (host: string) => [
      '/bin/sh',
      '-c',
      `printf 'GET /${marker} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} 8080`,
    ];
    const fromB = await t.hub.exec('b', fetch(bIp));
    expect(fromB.stdout).toContain('only b may read this');
    const fromA = await t.hub.exec('a', fetch(bIp), { timeoutMs: 15_000 });
    expect(fromA.stdout).not.toContain('only b may read this');
    // and B's name does not resolve from A
    const byName = await t.hub.exec('a', fetch('b'), { timeoutMs: 15_000 });
    expect(byName.stdout).not.toContain('only b may read this');
  });

  it('network: none leaves a project with loopback only', async () => {
    await using t = createTestHub({ projects: { offline: busybox('./offline', { network: 'none' }) } });
    await t.hub.up();
    const r = await t.hub.exec('offline', ['/bin/sh', '-c', 'ls /sys/class/net']);
    expect(r.stdout.trim().split(/\s+/)).toEqual(['lo']);
  });
});
