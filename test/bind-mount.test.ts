import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busybox, createTestHub } from './helpers/test-hub.js';

describe('bind-mounted workspace', () => {
  it('a host write is visible in the container at once, as the same inode', async () => {
    await using t = createTestHub({ projects: { app: busybox('./app') } });
    await t.hub.up();
    const file = join(t.dir, 'app', 'hello.txt');
    writeFileSync(file, 'from the host\n');
    const r = await t.hub.exec('app', ['/bin/sh', '-c', 'cat hello.txt; stat -c %i hello.txt']);
    const [content, inode] = r.stdout.split('\n');
    expect(content).toBe('from the host');
    expect(Number(inode)).toBe(statSync(file).ino);
  });

  it('a container write shows up on the host owned by the folder owner, not root', async () => {
    await using t = createTestHub({
      projects: { owned: { path: './owned', image: 'berth-test/toolchain', resources: { memory: '256m' } } },
      owner: { uid: 1000, gid: 1000 },
    });
    await t.hub.up();
    const r = await t.hub.exec('owned', [
      '/bin/sh',
      '-c',
      'id -u; echo made-inside > inside.txt; mkdir -p sub/dir && touch sub/dir/x; echo $HOME',
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('1000\n/tmp\n');
    for (const path of ['inside.txt', 'sub', 'sub/dir/x']) {
      const stats = statSync(join(t.dir, 'owned', path));
      expect([path, stats.uid, stats.gid]).toEqual([path, 1000, 1000]);
    }
  });
});
