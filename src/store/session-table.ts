import type Database from 'better-sqlite3';

export type SessionState = 'starting' | 'running' | 'discarded' | 'applied' | 'merged' | 'failed';

export interface SessionRecord {
  id: string;
  project: string | null;
  hostPath: string;
  runtime: string;
  network: string;
  image: string;
  /** Limits as given at start (null for sessions started before they were recorded). */
  memory: string | null;
  pids: number | null;
  cpus: number | null;
  containerId: string | null;
  baseline: string | null;
  state: SessionState;
  createdAt: string;
  endedAt: string | null;
}

/** Sandboxed sessions: one row each, from start to discard or apply. */
export class SessionTable {
  constructor(private readonly db: Database.Database) {}

  insert(r: Omit<SessionRecord, 'createdAt' | 'endedAt' | 'containerId' | 'baseline' | 'state'>): void {
    this.db
      .prepare(
        `INSERT INTO sessions
           (id, project, host_path, runtime, network, image, memory, pids, cpus, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'starting', ?)`,
      )
      .run(
        r.id,
        r.project,
        r.hostPath,
        r.runtime,
        r.network,
        r.image,
        r.memory,
        r.pids,
        r.cpus,
        new Date().toISOString(),
      );
  }

  started(id: string, containerId: string, baseline: string): void {
    this.db
      .prepare(`UPDATE sessions SET state = 'running', container_id = ?, baseline = ? WHERE id = ?`)
      .run(containerId, baseline, id);
  }

  ended(id: string, state: Exclude<SessionState, 'starting' | 'running'>): void {
    this.db
      .prepare('UPDATE sessions SET state = ?, ended_at = ? WHERE id = ?')
      .run(state, new Date().toISOString(), id);
  }

  get(id: string): SessionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as
      Record<string, unknown> | undefined;
    return row ? toRecord(row) : undefined;
  }

  list(): SessionRecord[] {
    return (
      this.db.prepare('SELECT * FROM sessions ORDER BY created_at DESC').all() as Record<string, unknown>[]
    ).map(toRecord);
  }
}

function toRecord(r: Record<string, unknown>): SessionRecord {
  const text = (v: unknown) => (v == null ? null : String(v));
  return {
    id: String(r.id),
    project: text(r.project),
    hostPath: String(r.host_path),
    runtime: String(r.runtime),
    network: String(r.network),
    image: String(r.image),
    memory: text(r.memory),
    pids: r.pids == null ? null : Number(r.pids),
    cpus: r.cpus == null ? null : Number(r.cpus),
    containerId: text(r.container_id),
    baseline: text(r.baseline),
    state: String(r.state) as SessionState,
    createdAt: String(r.created_at),
    endedAt: text(r.ended_at),
  };
}
