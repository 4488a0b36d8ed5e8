import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { berthHome } from './berth-home.js';
import { migrate } from './migrations.js';
import { OpsRunTable } from './ops-runs.js';
import { PreviewPortTable } from './preview-port-table.js';
import { TeamTable } from './team-table.js';
import { SessionTable } from './session-table.js';
import { SyncTable } from './sync-table.js';

export interface ProjectRecord {
  hubId: string;
  name: string;
  path: string;
  configFile: string | null;
  image: string;
  containerId: string | null;
  configHash: string | null;
  updatedAt: string;
}

/** One container of a project's unit, by role (`project`, `preview`, ...). */
export interface MemberRecord {
  hubId: string;
  project: string;
  role: string;
  containerId: string;
  configHash: string | null;
  updatedAt: string;
}

export interface ExecRecord {
  hubId: string;
  project: string;
  command: string[];
  source: 'cli' | 'test' | 'mcp' | 'api' | 'library';
  exitCode: number;
  durationMs: number;
  startedAt: string;
  timedOut: boolean;
  truncated: boolean;
}

export { berthHome };

/** berth's state: one SQLite file under BERTH_HOME holding projects and the exec history/audit log. */
export class Store {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db);
  }

  static open(home: string = berthHome()): Store {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    return new Store(join(home, 'berth.db'));
  }

  upsertProject(record: Omit<ProjectRecord, 'updatedAt'>): void {
    this.db
      .prepare(
        `INSERT INTO projects (hub_id, name, path, config_file, image, container_id, config_hash, updated_at)
         VALUES (@hubId, @name, @path, @configFile, @image, @containerId, @configHash, @updatedAt)
         ON CONFLICT (hub_id, name) DO UPDATE SET path = excluded.path, config_file = excluded.config_file,
           image = excluded.image, container_id = excluded.container_id, config_hash = excluded.config_hash,
           updated_at = excluded.updated_at`,
      )
      .run({ ...record, updatedAt: new Date().toISOString() });
  }

  /** Removes the project and every member it had. */
  removeProject(hubId: string, name: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM projects WHERE hub_id = ? AND name = ?').run(hubId, name);
      this.db.prepare('DELETE FROM project_containers WHERE hub_id = ? AND project = ?').run(hubId, name);
    })();
  }

  /** The project's members as up left them: these rows replace the ones it had. */
  recordMembers(
    hubId: string,
    project: string,
    members: { role: string; containerId: string; configHash: string | null }[],
  ): void {
    const updatedAt = new Date().toISOString();
    const insert = this.db.prepare(
      `INSERT INTO project_containers (hub_id, project, role, container_id, config_hash, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM project_containers WHERE hub_id = ? AND project = ?').run(hubId, project);
      for (const m of members) insert.run(hubId, project, m.role, m.containerId, m.configHash, updatedAt);
    })();
  }

  /** Members of a hub's projects (of one project when named), by project then role. */
  listMembers(hubId: string, project?: string): MemberRecord[] {
    const rows = (
      project === undefined
        ? this.db
            .prepare('SELECT * FROM project_containers WHERE hub_id = ? ORDER BY project, role')
            .all(hubId)
        : this.db
            .prepare('SELECT * FROM project_containers WHERE hub_id = ? AND project = ? ORDER BY role')
            .all(hubId, project)
    ) as Record<string, unknown>[];
    return rows.map((r) => ({
      hubId: String(r.hub_id),
      project: String(r.project),
      role: String(r.role),
      containerId: String(r.container_id),
      configHash: r.config_hash == null ? null : String(r.config_hash),
      updatedAt: String(r.updated_at),
    }));
  }

  listProjects(hubId?: string): ProjectRecord[] {
    const rows = (
      hubId === undefined
        ? this.db.prepare('SELECT * FROM projects ORDER BY hub_id, name').all()
        : this.db.prepare('SELECT * FROM projects WHERE hub_id = ? ORDER BY name').all(hubId)
    ) as Record<string, unknown>[];
    return rows.map((r) => ({
      hubId: String(r.hub_id),
      name: String(r.name),
      path: String(r.path),
      configFile: r.config_file == null ? null : String(r.config_file),
      image: String(r.image),
      containerId: r.container_id == null ? null : String(r.container_id),
      configHash: r.config_hash == null ? null : String(r.config_hash),
      updatedAt: String(r.updated_at),
    }));
  }

  recordExec(record: ExecRecord): void {
    this.db
      .prepare(
        `INSERT INTO exec_history (hub_id, project, command, source, exit_code, duration_ms, started_at, timed_out, truncated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.hubId,
        record.project,
        JSON.stringify(record.command),
        record.source,
        record.exitCode,
        record.durationMs,
        record.startedAt,
        record.timedOut ? 1 : 0,
        record.truncated ? 1 : 0,
      );
  }

  listExecs(filter: { hubId?: string; project?: string; limit?: number } = {}): ExecRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.hubId !== undefined) {
      where.push('hub_id = ?');
      args.push(filter.hubId);
    }
    if (filter.project !== undefined) {
      where.push('project = ?');
      args.push(filter.project);
    }
    const sql = `SELECT * FROM exec_history ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, filter.limit ?? 50) as Record<string, unknown>[];
    return rows.map((r) => ({
      hubId: String(r.hub_id),
      project: String(r.project),
      command: JSON.parse(String(r.command)) as string[],
      source: String(r.source) as ExecRecord['source'],
      exitCode: Number(r.exit_code),
      durationMs: Number(r.duration_ms),
      startedAt: String(r.started_at),
      timedOut: r.timed_out === 1,
      truncated: r.truncated === 1,
    }));
  }

  /** The ops side-car's run history for one hub. */
  opsRuns(hubId: string): OpsRunTable {
    return new OpsRunTable(this.db, hubId);
  }

  sync(): SyncTable {
    return new SyncTable(this.db);
  }

  sessions(): SessionTable {
    return new SessionTable(this.db);
  }

  /** The host ports of team previews (src/preview/port-pool.ts allocates them). */
  previewPorts(): PreviewPortTable {
    return new PreviewPortTable(this.db);
  }

  /** The team workspaces of this home (src/team/team-service.ts). */
  teams(): TeamTable {
    return new TeamTable(this.db);
  }

  close(): void {
    this.db.close();
  }
}
