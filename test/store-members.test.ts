import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../src/store/store.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function storeFrom(sqlFixture?: string): { store: Store; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  dirs.push(dir);
  const file = join(dir, 'berth.db');
  if (sqlFixture) {
    const db = new Database(file);
    db.exec(readFileSync(join(FIXTURES, sqlFixture), 'utf8'));
    db.close();
  }
  return { store: new Store(file), file };
}

describe('the store holds a unit of containers per project', () => {
  it('a database from before units reads on: its project containers become `project` members', () => {
    const { store } = storeFrom('store-v4/berth.sql');
    try {
      expect(store.listProjects('h1').map((p) => [p.name, p.containerId, p.configHash])).toEqual([
        ['docs', null, null],
        ['web', 'c0ffee', 'hash1'],
      ]);
      expect(store.listMembers('h1')).toEqual([
        {
          hubId: 'h1',
          project: 'web',
          role: 'project',
          containerId: 'c0ffee',
          configHash: 'hash1',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      ]);
    } finally {
      store.close();
    }
  });

  it('keeps several members per project, replaces them as a whole, and forgets them with the project', () => {
    const { store } = storeFrom();
    try {
      store.upsertProject({
        hubId: 'h',
        name: 'web',
        path: '/w',
        configFile: null,
        image: 'img',
        containerId: 'p1',
        configHash: 'a',
      });
      store.recordMembers('h', 'web', [
        { role: 'project', containerId: 'p1', configHash: 'a' },
        { role: 'preview', containerId: 'v1', configHash: 'b' },
      ]);
      store.recordMembers('h', 'api', [{ role: 'project', containerId: 'p2', configHash: 'c' }]);
      expect(store.listMembers('h', 'web').map((m) => [m.role, m.containerId])).toEqual([
        ['preview', 'v1'],
        ['project', 'p1'],
      ]);
      // a role that no longer applies is gone after the next up
      store.recordMembers('h', 'web', [{ role: 'project', containerId: 'p3', configHash: 'a' }]);
      expect(store.listMembers('h', 'web').map((m) => [m.role, m.containerId])).toEqual([['project', 'p3']]);
      store.removeProject('h', 'web');
      expect(store.listMembers('h').map((m) => m.project)).toEqual(['api']);
      expect(store.listProjects('h')).toEqual([]);
    } finally {
      store.close();
    }
  });
});
