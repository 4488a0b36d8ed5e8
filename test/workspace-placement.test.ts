import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkspacePlacement } from '../src/workspace/placement.js';
import { Workspace, type WorkspaceChange } from '../src/workspace/workspace.js';
import { makeTempDir } from './helpers/test-hub.js';

describe('a workspace placement maps host, container and file:// paths', () => {
  const bind = WorkspacePlacement.bind('/home/me/web');

  it('container paths, both ways', () => {
    expect(bind.containerPath()).toBe('/workspace');
    expect(bind.containerPath(['src', 'a.ts'])).toBe('/workspace/src/a.ts');
    expect(bind.fromContainerPath('/workspace')).toEqual([]);
    expect(bind.fromContainerPath('/workspace/./src//a.ts')).toEqual(['src', 'a.ts']);
    expect(bind.fromContainerPath('/workspaces/a')).toBeUndefined();
    expect(bind.fromContainerPath('/etc/passwd')).toBeUndefined();
    expect(bind.fromContainerPath('workspace/a')).toBeUndefined();
  });

  it('file:// URIs, with escapes, and nothing outside the workspace', () => {
    expect(bind.toUri(['src', 'a b#1.ts'])).toBe('file:///workspace/src/a%20b%231.ts');
    expect(bind.fromUri('file:///workspace/src/a%20b%231.ts')).toEqual(['src', 'a b#1.ts']);
    expect(bind.fromUri(bind.toUri(['é', '%']))).toEqual(['é', '%']);
    expect(bind.fromUri('file:///workspace/../etc/passwd')).toBeUndefined();
    expect(bind.fromUri('file://evil.example/workspace/a')).toBeUndefined();
    expect(bind.fromUri('http://localhost/workspace/a')).toBeUndefined();
    expect(bind.fromUri('file:///workspace/a%00b')).toBeUndefined();
    expect(bind.fromUri('not a uri')).toBeUndefined();
  });

  it('mounts: a bind has a host folder, a volume has none and says so', () => {
    expect(bind.mount()).toEqual({ kind: 'bind', source: '/home/me/web', target: '/workspace' });
    const volume = WorkspacePlacement.volume('berth-web-ws');
    expect(volume.mount()).toEqual({ kind: 'volume', name: 'berth-web-ws', target: '/workspace' });
    expect(() => volume.hostPath()).toThrow(/a volume with no host folder/);
    const synced = WorkspacePlacement.synced('/home/me/web', 'berth-web-sync');
    expect(synced.hostPath()).toBe('/home/me/web');
    expect(synced.mount()).toMatchObject({ kind: 'volume', name: 'berth-web-sync' });
  });
});

describe('a Workspace reports the changes made through it', () => {
  it('write, edit, folder, move and delete, each after it happened, with normalised paths', async () => {
    const root = makeTempDir();
    const ws = new Workspace(WorkspacePlacement.bind(root));
    const seen: WorkspaceChange[] = [];
    const stop = ws.onChange((c) => seen.push(c));
    ws.writeText('./src//a.ts', 'one\n');
    await ws.edit('src/a.ts', [{ oldText: 'one', newText: 'two' }], false);
    await ws.edit('src/a.ts', [{ oldText: 'two', newText: 'three' }], true); // dry run: no change
    ws.createFolder('docs/x');
    ws.createFolder('docs/x'); // already there: no change
    ws.move('src/a.ts', 'docs/x/a.ts');
    ws.remove('docs');
    expect(() => ws.writeText('../out.txt', 'x')).toThrow(); // refused: no change
    stop();
    ws.writeText('after.txt', 'not seen');
    expect(seen).toEqual([
      { kind: 'write', path: 'src/a.ts' },
      { kind: 'write', path: 'src/a.ts' },
      { kind: 'create-folder', path: 'docs/x' },
      { kind: 'move', path: 'src/a.ts', to: 'docs/x/a.ts' },
      { kind: 'delete', path: 'docs' },
    ]);
  });

  it('takes its link root from the placement: an absolute link under /workspace stays inside', () => {
    const root = makeTempDir();
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'real.txt'), 'inside\n');
    symlinkSync('/workspace/src/real.txt', join(root, 'abs-link'));
    symlinkSync('/etc/hostname', join(root, 'out-link'));
    const ws = new Workspace(WorkspacePlacement.bind(root));
    expect(ws.readText('abs-link').content).toBe('inside\n');
    expect(() => ws.readText('out-link')).toThrow(/leaves the project|outside/);
  });
});
