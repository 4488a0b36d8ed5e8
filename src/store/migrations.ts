import type Database from 'better-sqlite3';

/** Ordered schema steps; `user_version` records how many have run. Append, never edit. */
const STEPS: string[] = [
  `CREATE TABLE projects (
     hub_id TEXT NOT NULL,
     name TEXT NOT NULL,
     path TEXT NOT NULL,
     config_file TEXT,
     image TEXT NOT NULL,
     container_id TEXT,
     config_hash TEXT,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (hub_id, name)
   );
   CREATE TABLE exec_history (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     hub_id TEXT NOT NULL,
     project TEXT NOT NULL,
     command TEXT NOT NULL,
     source TEXT NOT NULL,
     exit_code INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     started_at TEXT NOT NULL,
     timed_out INTEGER NOT NULL,
     truncated INTEGER NOT NULL
   );
   CREATE INDEX exec_history_project ON exec_history (hub_id, project, id);`,
  `CREATE TABLE ops_runs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     hub_id TEXT NOT NULL,
     target TEXT NOT NULL,
     command TEXT NOT NULL,
     status TEXT NOT NULL,
     exit_code INTEGER,
     duration_ms INTEGER,
     timed_out INTEGER NOT NULL DEFAULT 0,
     truncated INTEGER NOT NULL DEFAULT 0,
     queued_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     stdout TEXT NOT NULL DEFAULT '',
     stderr TEXT NOT NULL DEFAULT '',
     error TEXT
   );
   CREATE INDEX ops_runs_target ON ops_runs (hub_id, target, seq);`,
  `CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     project TEXT,
     host_path TEXT NOT NULL,
     runtime TEXT NOT NULL,
     network TEXT NOT NULL,
     image TEXT NOT NULL,
     container_id TEXT,
     baseline TEXT,
     state TEXT NOT NULL,
     created_at TEXT NOT NULL,
     ended_at TEXT
   );`,
  // the limits a session was started with, for `session list` and for clear reports
  `ALTER TABLE sessions ADD COLUMN memory TEXT;
   ALTER TABLE sessions ADD COLUMN pids INTEGER;
   ALTER TABLE sessions ADD COLUMN cpus REAL;`,
  // a project is a unit of containers by role: one row per member. projects.container_id stays
  // (older rows keep it, and it still names the `project` member), and is copied over here.
  `CREATE TABLE project_containers (
     hub_id TEXT NOT NULL,
     project TEXT NOT NULL,
     role TEXT NOT NULL,
     container_id TEXT NOT NULL,
     config_hash TEXT,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (hub_id, project, role)
   );
   INSERT INTO project_containers (hub_id, project, role, container_id, config_hash, updated_at)
     SELECT hub_id, name, 'project', container_id, config_hash, updated_at FROM projects
     WHERE container_id IS NOT NULL;`,
  // two-way sync: one pair per synced project, its durable ancestor (the last state both sides
  // agreed on, one row per path, the path as bytes), its conflicts and what each cycle moved
  `CREATE TABLE sync_pairs (
     hub_id TEXT NOT NULL,
     project TEXT NOT NULL,
     local_marker TEXT,
     container_marker TEXT,
     halt TEXT,
     last_cycle_at TEXT,
     last_error TEXT,
     cycles INTEGER NOT NULL DEFAULT 0,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (hub_id, project)
   );
   CREATE TABLE sync_ancestor (
     hub_id TEXT NOT NULL,
     project TEXT NOT NULL,
     path BLOB NOT NULL,
     entry TEXT NOT NULL,
     PRIMARY KEY (hub_id, project, path)
   ) WITHOUT ROWID;
   CREATE TABLE sync_conflicts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     hub_id TEXT NOT NULL,
     project TEXT NOT NULL,
     path BLOB NOT NULL,
     copy BLOB NOT NULL,
     local TEXT,
     container TEXT,
     detected_at TEXT NOT NULL,
     resolved_at TEXT,
     resolution TEXT
   );
   CREATE INDEX sync_conflicts_open ON sync_conflicts (hub_id, project, resolved_at);
   CREATE TABLE sync_cycles (
     hub_id TEXT NOT NULL,
     project TEXT NOT NULL,
     at TEXT NOT NULL,
     to_local INTEGER NOT NULL,
     to_container INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL
   );
   CREATE INDEX sync_cycles_at ON sync_cycles (hub_id, project, at);`,
  // preview ports: one host port per team app, kept across restarts so a preview's URL does not
  // change; UNIQUE (port) makes a double hand-out impossible even past the allocation lock
  `CREATE TABLE preview_ports (
     team TEXT NOT NULL,
     app TEXT NOT NULL,
     port INTEGER NOT NULL UNIQUE,
     allocated_at TEXT NOT NULL,
     PRIMARY KEY (team, app)
   );`,
  // team workspaces: one row per team of this BERTH_HOME (its repository, branch and folders);
  // the URL is stored with any userinfo removed (credentials never land on disk)
  `CREATE TABLE teams (
     name TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     branch TEXT NOT NULL,
     workspace TEXT NOT NULL,
     git_dir TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT
   );`,
];

export function migrate(db: Database.Database): void {
  if ((db.pragma('user_version', { simple: true }) as number) >= STEPS.length) return;
  // several processes may open a new store at once: the version is read again inside one
  // write transaction (BEGIN IMMEDIATE), so only one of them runs each step
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < STEPS.length; i++) {
      db.exec(STEPS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    }
  }).immediate();
}
