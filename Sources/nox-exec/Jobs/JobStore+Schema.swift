import GRDB

extension JobStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("jobs.v1") { db in
            // `seq` is the FTS rowid: an explicit INTEGER PRIMARY KEY, as an implicit rowid may
            // change on VACUUM and break the external-content index.
            // Output is a BLOB: the text may hold NUL, which SQLite's text functions stop at.
            try db.execute(
                sql: """
                    CREATE TABLE jobs (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        username TEXT NOT NULL,
                        language TEXT NOT NULL,
                        code TEXT,
                        file TEXT,
                        stdin TEXT,
                        args TEXT NOT NULL DEFAULT '[]',
                        env_names TEXT NOT NULL DEFAULT '[]',
                        status TEXT NOT NULL,
                        exit_code INTEGER,
                        signal TEXT,
                        stdout BLOB NOT NULL DEFAULT x'',
                        stderr BLOB NOT NULL DEFAULT x'',
                        stdout_truncated INTEGER NOT NULL DEFAULT 0,
                        stderr_truncated INTEGER NOT NULL DEFAULT 0,
                        created_at TEXT NOT NULL,
                        started_at TEXT,
                        finished_at TEXT,
                        duration_ms INTEGER,
                        cpu_ms INTEGER,
                        memory_peak_bytes INTEGER,
                        error TEXT
                    );
                    CREATE INDEX jobs_user_created ON jobs(username, created_at, id);
                    CREATE INDEX jobs_created ON jobs(created_at, id);
                    CREATE INDEX jobs_unfinished ON jobs(status) WHERE status IN ('queued', 'running');

                    CREATE VIRTUAL TABLE jobs_fts USING fts5(
                        code, content = 'jobs', content_rowid = 'seq',
                        tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3'
                    );
                    CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs WHEN new.code IS NOT NULL BEGIN
                        INSERT INTO jobs_fts(rowid, code) VALUES (new.seq, new.code);
                    END;
                    CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs WHEN old.code IS NOT NULL BEGIN
                        INSERT INTO jobs_fts(jobs_fts, rowid, code) VALUES ('delete', old.seq, old.code);
                    END;
                    CREATE TRIGGER jobs_fts_update AFTER UPDATE OF code ON jobs BEGIN
                        INSERT INTO jobs_fts(jobs_fts, rowid, code) SELECT 'delete', old.seq, old.code WHERE old.code IS NOT NULL;
                        INSERT INTO jobs_fts(rowid, code) SELECT new.seq, new.code WHERE new.code IS NOT NULL;
                    END;
                    """)
        }
        return migrator
    }
}
