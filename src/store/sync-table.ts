import type Database from 'better-sqlite3';

/** A sync pair's row: who each side was last time, and whether it is halted. */
export interface SyncPairRecord {
  hubId: string;
  project: string;
  localMarker: string | null;
  containerMarker: string | null;
  /** JSON of the halt (reason, side, detail) while the pair is halted. */
  halt: string | null;
  lastCycleAt: string | null;
  lastError: string | null;
  cycles: number;
}

export interface SyncConflictRecord {
  id: number;
  /** Paths are bytes (latin1 strings in memory). */
  path: string;
  copy: string;
  /** JSON of each side's entry when the conflict was found (null: absent). */
  local: string | null;
  container: string | null;
  detectedAt: string;
  resolvedAt: string | null;
  resolution: string | null;
}

interface PairRow {
  hub_id: string;
  project: string;
  local_marker: string | null;
  container_marker: string | null;
  halt: string | null;
  last_cycle_at: string | null;
  last_error: string | null;
  cycles: number;
}

interface ConflictRow {
  id: number;
  path: Buffer;
  copy: Buffer;
  local: string | null;
  container: string | null;
  detected_at: string;
  resolved_at: string | null;
  resolution: string | null;
}

const bytes = (path: string) => Buffer.from(path, 'latin1');

/**
 * Two-way sync's durable state. The ancestor is written path by path in one transaction per
 * cycle, after the changes it records were made on both sides, so a kill at any moment leaves
 * the last agreed state (never a state no side has seen).
 */
export class SyncTable {
  constructor(private readonly db: Database.Database) {}

  pair(hubId: string, project: string): SyncPairRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM sync_pairs WHERE hub_id = ? AND project = ?')
      .get(hubId, project) as PairRow | undefined;
    if (!row) return undefined;
    return {
      hubId: row.hub_id,
      project: row.project,
      localMarker: row.local_marker,
      containerMarker: row.container_marker,
      halt: row.halt,
      lastCycleAt: row.last_cycle_at,
      lastError: row.last_error,
      cycles: row.cycles,
    };
  }

  /** Creates the pair's row or updates the given fields. */
  updatePair(
    hubId: string,
    project: string,
    fields: Partial<Omit<SyncPairRecord, 'hubId' | 'project' | 'cycles'>> & { cycleDone?: boolean },
  ): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO sync_pairs (hub_id, project, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (hub_id, project) DO NOTHING`,
      )
      .run(hubId, project, now);
    const sets: string[] = ['updated_at = @now'];
    const params: Record<string, unknown> = { hubId, project, now };
    const columns: Record<string, string> = {
      localMarker: 'local_marker',
      containerMarker: 'container_marker',
      halt: 'halt',
      lastCycleAt: 'last_cycle_at',
      lastError: 'last_error',
    };
    for (const [key, column] of Object.entries(columns)) {
      if (key in fields) {
        sets.push(`${column} = @${key}`);
        params[key] = (fields as Record<string, unknown>)[key] ?? null;
      }
    }
    if (fields.cycleDone) sets.push('cycles = cycles + 1');
    this.db
      .prepare(`UPDATE sync_pairs SET ${sets.join(', ')} WHERE hub_id = @hubId AND project = @project`)
      .run(params);
  }

  /** The whole ancestor: path (latin1) → entry JSON. */
  ancestor(hubId: string, project: string): Map<string, string> {
    const rows = this.db
      .prepare('SELECT path, entry FROM sync_ancestor WHERE hub_id = ? AND project = ?')
      .all(hubId, project) as { path: Buffer; entry: string }[];
    return new Map(rows.map((r) => [r.path.toString('latin1'), r.entry]));
  }

  /** The ancestor's rows one by one (path latin1, entry JSON), without holding them all at once. */
  *ancestorRows(hubId: string, project: string): Generator<[string, string]> {
    const rows = this.db
      .prepare('SELECT path, entry FROM sync_ancestor WHERE hub_id = ? AND project = ?')
      .iterate(hubId, project) as IterableIterator<{ path: Buffer; entry: string }>;
    for (const row of rows) yield [row.path.toString('latin1'), row.entry];
  }

  /** Applies ancestor changes (null: the path is dropped) in one transaction. */
  writeAncestor(hubId: string, project: string, changes: Iterable<[string, string | null]>): void {
    const put = this.db.prepare(
      'INSERT OR REPLACE INTO sync_ancestor (hub_id, project, path, entry) VALUES (?, ?, ?, ?)',
    );
    const drop = this.db.prepare('DELETE FROM sync_ancestor WHERE hub_id = ? AND project = ? AND path = ?');
    this.db.transaction(() => {
      for (const [path, entry] of changes) {
        if (entry === null) drop.run(hubId, project, bytes(path));
        else put.run(hubId, project, bytes(path), entry);
      }
    })();
  }

  /** Forgets the ancestor (a replica was recreated: the next cycle is a first sync). */
  clearAncestor(hubId: string, project: string): void {
    this.db.prepare('DELETE FROM sync_ancestor WHERE hub_id = ? AND project = ?').run(hubId, project);
  }

  addConflict(
    hubId: string,
    project: string,
    c: { path: string; copy: string; local: string | null; container: string | null },
  ): void {
    this.db
      .prepare(
        `INSERT INTO sync_conflicts (hub_id, project, path, copy, local, container, detected_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(hubId, project, bytes(c.path), bytes(c.copy), c.local, c.container, new Date().toISOString());
  }

  conflicts(hubId: string, project: string, openOnly = true): SyncConflictRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM sync_conflicts WHERE hub_id = ? AND project = ?
         ${openOnly ? 'AND resolved_at IS NULL' : ''} ORDER BY id`,
      )
      .all(hubId, project) as ConflictRow[];
    return rows.map((r) => ({
      id: r.id,
      path: r.path.toString('latin1'),
      copy: r.copy.toString('latin1'),
      local: r.local,
      container: r.container,
      detectedAt: r.detected_at,
      resolvedAt: r.resolved_at,
      resolution: r.resolution,
    }));
  }

  resolveConflict(id: number, resolution: string): void {
    this.db
      .prepare('UPDATE sync_conflicts SET resolved_at = ?, resolution = ? WHERE id = ?')
      .run(new Date().toISOString(), resolution, id);
  }

  recordCycle(
    hubId: string,
    project: string,
    moved: { toLocal: number; toContainer: number; durationMs: number },
  ): void {
    const now = new Date();
    this.db
      .prepare(
        'INSERT INTO sync_cycles (hub_id, project, at, to_local, to_container, duration_ms) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(hubId, project, now.toISOString(), moved.toLocal, moved.toContainer, moved.durationMs);
    // a day of history is plenty for "moved in the last hour"
    this.db
      .prepare('DELETE FROM sync_cycles WHERE hub_id = ? AND project = ? AND at < ?')
      .run(hubId, project, new Date(now.getTime() - 24 * 3600 * 1000).toISOString());
  }

  /** Files moved each way since `since`. */
  movedSince(hubId: string, project: string, since: Date): { toLocal: number; toContainer: number } {
    const row = this.db
      .prepare(
        `SELECT COALESCE(SUM(to_local), 0) AS l, COALESCE(SUM(to_container), 0) AS c
         FROM sync_cycles WHERE hub_id = ? AND project = ? AND at >= ?`,
      )
      .get(hubId, project, since.toISOString()) as { l: number; c: number };
    return { toLocal: row.l, toContainer: row.c };
  }

  /** Everything of one pair (berth down --volumes of a synced project). */
  forget(hubId: string, project: string): void {
    this.db.transaction(() => {
      for (const table of ['sync_pairs', 'sync_ancestor', 'sync_conflicts', 'sync_cycles'])
        this.db.prepare(`DELETE FROM ${table} WHERE hub_id = ? AND project = ?`).run(hubId, project);
    })();
  }
}
