import type Database from 'better-sqlite3';

/** One preview's host port, owned by a team's app. */
export interface PreviewPortRecord {
  team: string;
  app: string;
  port: number;
  allocatedAt: string;
}

interface PortRow {
  team: string;
  app: string;
  port: number;
  allocated_at: string;
}

const record = (r: PortRow): PreviewPortRecord => ({
  team: r.team,
  app: r.app,
  port: r.port,
  allocatedAt: r.allocated_at,
});

/**
 * The preview port allocations (src/preview/port-pool.ts decides; this only records). A port is
 * UNIQUE, so two owners can never be given the same one, whatever the callers do.
 */
export class PreviewPortTable {
  constructor(private readonly db: Database.Database) {}

  get(team: string, app: string): PreviewPortRecord | undefined {
    const row = this.db.prepare('SELECT * FROM preview_ports WHERE team = ? AND app = ?').get(team, app) as
      PortRow | undefined;
    return row && record(row);
  }

  /** Every allocation, by team then app. */
  list(): PreviewPortRecord[] {
    const rows = this.db.prepare('SELECT * FROM preview_ports ORDER BY team, app').all() as PortRow[];
    return rows.map(record);
  }

  /**
   * Records `port` for the owner, replacing the port it had. False when another owner holds
   * `port` already (nothing changes then).
   */
  put(team: string, app: string, port: number): boolean {
    try {
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM preview_ports WHERE team = ? AND app = ?').run(team, app);
        this.db
          .prepare('INSERT INTO preview_ports (team, app, port, allocated_at) VALUES (?, ?, ?, ?)')
          .run(team, app, port, new Date().toISOString());
      })();
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw err;
    }
  }

  remove(team: string, app: string): boolean {
    return this.db.prepare('DELETE FROM preview_ports WHERE team = ? AND app = ?').run(team, app).changes > 0;
  }

  /** Drops every port of the team; returns how many it had. */
  removeTeam(team: string): number {
    return this.db.prepare('DELETE FROM preview_ports WHERE team = ?').run(team).changes;
  }
}
