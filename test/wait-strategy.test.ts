import { describe, expect, it } from 'vitest';
import { allOf, logLine, shellReady } from '../src/exec/wait/strategies.js';
import { waitUntilReady, type ContainerProbes } from '../src/exec/wait/wait-strategy.js';

function probes(overrides: Partial<ContainerProbes> = {}): ContainerProbes {
  return {
    shell: async () => ({ ready: true, output: '' }),
    address: async () => undefined,
    logs: async () => '',
    running: async () => true,
    ...overrides,
  };
}

describe('waiting for a container to be ready', () => {
  it('tries until the check passes', async () => {
    let calls = 0;
    const p = probes({ shell: async () => ({ ready: ++calls >= 3, output: 'sh: not found' }) });
    await waitUntilReady(shellReady(), p, { timeoutMs: 5000, intervalMs: 10, subject: 'project web' });
    expect(calls).toBe(3);
  });

  it('times out with what it waited for, how long, and the last thing it saw', async () => {
    const started = Date.now();
    const p = probes({ shell: async () => ({ ready: false, output: 'exec failed: no /bin/sh\n' }) });
    const wait = waitUntilReady(shellReady(), p, { timeoutMs: 300, intervalMs: 50, subject: 'project web' });
    await expect(wait).rejects.toMatchObject({ code: 'NOT_READY' });
    await expect(wait).rejects.toThrow(
      /^project web is not ready: waited 0\.\d s for a shell to answer; last seen: exec failed: no \/bin\/sh$/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('an attempt that hangs does not outlast the timeout', async () => {
    const started = Date.now();
    const p = probes({ shell: () => new Promise(() => undefined) });
    await expect(waitUntilReady(shellReady(), p, { timeoutMs: 200, subject: 'session s-1' })).rejects.toThrow(
      /did not finish in time/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops at once when the container stopped, and when cancelled', async () => {
    const started = Date.now();
    const p = probes({ logs: async () => 'starting\n', running: async () => false });
    await expect(
      waitUntilReady(logLine(/ready/), p, { timeoutMs: 10_000, subject: 'preview web' }),
    ).rejects.toThrow(/the container stopped \(last seen: last line: starting\)/);
    expect(Date.now() - started).toBeLessThan(1000);

    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 100);
    await expect(
      waitUntilReady(logLine(/ready/), probes(), { timeoutMs: 10_000, signal: cancel.signal, subject: 'x' }),
    ).rejects.toThrow(/cancelled/);
  });

  it('allOf passes only when each passes, and says which one did not', async () => {
    let logs = '';
    const p = probes({ logs: async () => logs });
    const both = allOf(shellReady(), logLine(/listening on/));
    const wait = waitUntilReady(both, p, { timeoutMs: 2000, intervalMs: 20, subject: 'preview web' });
    setTimeout(() => (logs = 'boot\nlistening on :5173\n'), 100);
    await wait;
    await expect(
      waitUntilReady(both, probes(), { timeoutMs: 100, intervalMs: 20, subject: 'preview web' }),
    ).rejects.toThrow(/a log line matching \/listening on\/: no output yet/);
  });
});
