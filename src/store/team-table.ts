import type Database from 'better-sqlite3';

/** A team workspace as berth recorded it when the team was made. */
export interface TeamRecord {
  name: string;
  /** The repository's URL without userinfo (as `remote.origin.url` holds it). */
  url: string;
  branch: string;
  /** Host folder of the work tree (mounted into the team's containers). */
  workspace: string;
  /** Host folder of the repository's git data, kept out of every container's reach. */
  gitDir: string;
  createdAt: string;
  /** When `team start` last brought its previews up. */
  startedAt?: string;
}

interface TeamRow {
  name: string;
  url: string;
  branch: string;
  workspace: string;
  git_dir: string;
  created_at: string;
  started_at: string | null;
}

const record = (r: TeamRow): TeamRecord => ({
  name: r.name,
  url: r.url,
  branch: r.branch,
  workspace: r.workspace,
  gitDir: r.git_dir,
  createdAt: r.created_at,
  ...(r.started_at !== null ? { startedAt: r.started_at } : {}),
});

/** The teams of this BERTH_HOME (src/team/team-service.ts decides; this only records). */
export class TeamTable {
  constructor(private readonly db: Database.Database) {}

  get(name: string): TeamRecord | undefined {
    const row = this.db.prepare('SELECT * FROM teams WHERE name = ?').get(name) as TeamRow | undefined;
    return row && record(row);
  }

  list(): TeamRecord[] {
    return (this.db.prepare('SELECT * FROM teams ORDER BY name').all() as TeamRow[]).map(record);
  }

  /** False when a team of that name exists already (nothing changes then). */
  insert(team: Omit<TeamRecord, 'createdAt' | 'startedAt'>): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO teams (name, url, branch, workspace, git_dir, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      )
      .run(team.name, team.url, team.branch, team.workspace, team.gitDir, new Date().toISOString());
    return result.changes === 1;
  }

  markStarted(name: string): void {
    this.db.prepare('UPDATE teams SET started_at = ? WHERE name = ?').run(new Date().toISOString(), name);
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM teams WHERE name = ?').run(name);
  }
}
