import type Database from 'better-sqlite3';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'error';

export interface OpsRunRecord {
  id: string;
  target: string;
  command: string[] | string;
  status: RunStatus;
  exitCode: number | null;
  durationMs: number | null;
  timedOut: boolean;
  truncated: boolean;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

export interface OpsRunDetail extends OpsRunRecord {
  stdout: string;
  stderr: string;
}

/** The side-car's run history: one row per POST /run, updated as the run moves on. */
export class OpsRunTable {
  constructor(
    private readonly db: Database.Database,
    private readonly hubId: string,
  ) {}

  queued(id: string, target: string, command: string[] | string): void {
    this.db
      .prepare(
        `INSERT INTO ops_runs (id, hub_id, target, command, status, queued_at) VALUES (?, ?, ?, ?, 'queued', ?)`,
      )
      .run(id, this.hubId, target, JSON.stringify(command), new Date().toISOString());
  }

  started(id: string): void {
    this.db
      .prepare(`UPDATE ops_runs SET status = 'running', started_at = ? WHERE id = ?`)
      .run(new Date().toISOString(), id);
  }

  finished(
    id: string,
    r: {
      status: RunStatus;
      exitCode: number | null;
      durationMs: number;
      timedOut: boolean;
      truncated: boolean;
      stdout: string;
      stderr: string;
      error?: string;
    },
  ): void {
    this.db
      .prepare(
        `UPDATE ops_runs SET status = ?, exit_code = ?, duration_ms = ?, timed_out = ?, truncated = ?,
           finished_at = ?, stdout = ?, stderr = ?, error = ? WHERE id = ?`,
      )
      .run(
        r.status,
        r.exitCode,
        r.durationMs,
        r.timedOut ? 1 : 0,
        r.truncated ? 1 : 0,
        new Date().toISOString(),
        r.stdout,
        r.stderr,
        r.error ?? null,
        id,
      );
  }

  list(filter: { target?: string; limit: number }): OpsRunRecord[] {
    const rows = (
      filter.target === undefined
        ? this.db
            .prepare('SELECT * FROM ops_runs WHERE hub_id = ? ORDER BY seq DESC LIMIT ?')
            .all(this.hubId, filter.limit)
        : this.db
            .prepare('SELECT * FROM ops_runs WHERE hub_id = ? AND target = ? ORDER BY seq DESC LIMIT ?')
            .all(this.hubId, filter.target, filter.limit)
    ) as Record<string, unknown>[];
    return rows.map(toRecord);
  }

  get(id: string): OpsRunDetail | undefined {
    const row = this.db.prepare('SELECT * FROM ops_runs WHERE hub_id = ? AND id = ?').get(this.hubId, id) as
      Record<string, unknown> | undefined;
    return row ? { ...toRecord(row), stdout: String(row.stdout), stderr: String(row.stderr) } : undefined;
  }
}

function toRecord(r: Record<string, unknown>): OpsRunRecord {
  return {
    id: String(r.id),
    target: String(r.target),
    command: JSON.parse(String(r.command)) as string[] | string,
    status: String(r.status) as RunStatus,
    exitCode: r.exit_code == null ? null : Number(r.exit_code),
    durationMs: r.duration_ms == null ? null : Number(r.duration_ms),
    timedOut: r.timed_out === 1,
    truncated: r.truncated === 1,
    queuedAt: String(r.queued_at),
    startedAt: r.started_at == null ? null : String(r.started_at),
    finishedAt: r.finished_at == null ? null : String(r.finished_at),
    error: r.error == null ? null : String(r.error),
  };
}
