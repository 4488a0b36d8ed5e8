import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerName } from '../src/hub/container-spec.js';
import { runnerDirFor } from '../src/runtime/agent/runner-dir.js';
import { busybox, createTestHub } from './helpers/test-hub.js';

// What every channel does is in test/contract/exec-channel.contract.ts (run by
// exec-channels.test.ts); this file holds what only the agent's folder needs.
describe('in-container runner: untrusted folder, safe fallbacks', () => {
  it('a symlink planted as the request FIFO never makes the hub write a host file', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    const victim = join(t.dir, 'victim.txt');
    writeFileSync(victim, 'untouched');
    const plant = await t.hub.exec('box', [
      '/bin/sh',
      '-c',
      `rm /run/berth/requests && ln -s ${victim} /run/berth/requests`,
    ]);
    expect(plant.exitCode).toBe(0);
    // the next command still runs (through the engine) and the host file is unchanged
    const r = await t.hub.exec('box', ['/bin/sh', '-c', 'echo $PPID; echo still works']);
    expect(r.stdout).toBe('0\nstill works\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
  });

  it('a regular file in place of the FIFO is refused the same way', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    await t.hub.exec('box', ['/bin/sh', '-c', 'rm /run/berth/requests && echo junk > /run/berth/requests']);
    const r = await t.hub.exec('box', ['echo', 'fallback']);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'fallback\n' });
    expect(
      readFileSync(
        join(runnerDirFor(join(t.home, 'run'), containerName(t.config.hubId, 'box')), 'requests'),
        'utf8',
      ),
    ).toBe('junk\n');
  });

  it('leaves no request files behind, and down removes the folder', async () => {
    await using t = createTestHub({ projects: { box: busybox('./box') } });
    await t.hub.up();
    const dir = runnerDirFor(join(t.home, 'run'), containerName(t.config.hubId, 'box'));
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.hub.exec('box', ['echo', String(i)])));
    expect(readdirSync(dir)).toEqual(['requests']);
    await t.hub.down();
    expect(existsSync(dir)).toBe(false);
  });
});
