import GRDB

/// Versioned schema. Migrations are append-only: never edit one that has shipped.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-jobs") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    state TEXT NOT NULL,
                    priority INTEGER NOT NULL DEFAULT 0,
                    model TEXT NOT NULL,
                    language TEXT,
                    beam_size INTEGER NOT NULL,
                    word_timestamps INTEGER NOT NULL,
                    media_sha256 TEXT NOT NULL,
                    media_filename TEXT NOT NULL,
                    media_content_type TEXT,
                    media_size INTEGER NOT NULL,
                    media_duration REAL,
                    progress REAL NOT NULL DEFAULT 0,
                    attempts_used INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    lease_token INTEGER NOT NULL DEFAULT 0,
                    lease_holder TEXT,
                    lease_expires_at REAL,
                    not_before REAL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    error_code TEXT,
                    error_message TEXT
                );
                CREATE INDEX jobs_claim_order ON jobs(state, priority DESC, seq);
                CREATE INDEX jobs_media ON jobs(media_sha256);
                CREATE TABLE attempts (
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    holder TEXT NOT NULL,
                    token INTEGER NOT NULL,
                    started_at REAL NOT NULL,
                    ended_at REAL,
                    outcome TEXT NOT NULL,
                    error_code TEXT,
                    error_message TEXT,
                    PRIMARY KEY (job_id, number)
                );
                CREATE TABLE transcripts (
                    job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
                    title TEXT NOT NULL,
                    source TEXT NOT NULL,
                    language TEXT NOT NULL,
                    model TEXT NOT NULL,
                    duration REAL NOT NULL,
                    processing REAL NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE segments (
                    job_id TEXT NOT NULL REFERENCES transcripts(job_id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    start REAL NOT NULL,
                    "end" REAL NOT NULL,
                    text TEXT NOT NULL,
                    avg_logprob REAL,
                    no_speech_prob REAL,
                    words TEXT,
                    PRIMARY KEY (job_id, idx)
                );
                """)
        }
        migrator.registerMigration("v2-nodes") { db in
            try db.execute(sql: """
                CREATE TABLE nodes (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    key_hash TEXT NOT NULL UNIQUE,
                    priority INTEGER NOT NULL DEFAULT 0,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    last_heartbeat_at REAL,
                    capabilities TEXT,
                    jobs_done INTEGER NOT NULL DEFAULT 0,
                    audio_seconds_done REAL NOT NULL DEFAULT 0
                );
                CREATE INDEX jobs_lease_holder ON jobs(lease_holder) WHERE lease_holder IS NOT NULL;
                """)
        }
        migrator.registerMigration("v3-partial-segments") { db in
            // Rows carry the lease token of the attempt that sent them; reads keep only the
            // current attempt's, so a retried job never shows its dead attempt's text.
            try db.execute(sql: """
                CREATE TABLE partial_segments (
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    token INTEGER NOT NULL,
                    start REAL NOT NULL,
                    "end" REAL NOT NULL,
                    text TEXT NOT NULL,
                    avg_logprob REAL,
                    no_speech_prob REAL,
                    words TEXT,
                    PRIMARY KEY (job_id, idx)
                );
                """)
        }
        migrator.registerMigration("v4-events") { db in
            // AUTOINCREMENT: a seq is never reused, even after the newest events are pruned, so a
            // reader's Last-Event-ID can never point at a different event.
            try db.execute(sql: """
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    time REAL NOT NULL,
                    type TEXT NOT NULL,
                    correlation_id TEXT,
                    causation_id TEXT,
                    source TEXT NOT NULL,
                    data TEXT NOT NULL
                );
                CREATE INDEX events_correlation ON events(correlation_id, seq) WHERE correlation_id IS NOT NULL;
                CREATE INDEX events_time ON events(time);
                """)
        }
        migrator.registerMigration("v5-node-presence") { db in
            // Whether node.online was announced and node.offline not yet: presence events fire
            // on transitions only.
            try db.execute(sql: "ALTER TABLE nodes ADD COLUMN announced_online INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v6-plugin-cursors") { db in
            try db.execute(sql: "CREATE TABLE plugin_cursors (plugin TEXT PRIMARY KEY, seq INTEGER NOT NULL)")
        }
        migrator.registerMigration("v7-media-retention") { db in
            // Set on every job of a media file when the cleanup plugin deletes it; cleared when
            // the same content is uploaded again.
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN media_removed_at REAL")
        }
        migrator.registerMigration("v8-segment-search") { db in
            // An external-content FTS5 index over segment text, kept in step by triggers (they also
            // fire for the cascade when a transcript or job is deleted). `remove_diacritics` lets
            // "cafe" find "café".
            try db.execute(sql: """
                CREATE VIRTUAL TABLE segments_fts USING fts5(
                    text, content='segments', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
                );
                CREATE TRIGGER segments_fts_insert AFTER INSERT ON segments BEGIN
                    INSERT INTO segments_fts(rowid, text) VALUES (new.rowid, new.text);
                END;
                CREATE TRIGGER segments_fts_delete AFTER DELETE ON segments BEGIN
                    INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
                END;
                CREATE TRIGGER segments_fts_update AFTER UPDATE OF text ON segments BEGIN
                    INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
                    INSERT INTO segments_fts(rowid, text) VALUES (new.rowid, new.text);
                END;
                INSERT INTO segments_fts(segments_fts) VALUES ('rebuild');
                """)
        }
        migrator.registerMigration("v9-segment-revisions") { db in
            // `segments.text` is always the text shown (so search and exports need no join);
            // `original_text` keeps the recognizer's once a revision replaced it.
            try db.execute(sql: """
                ALTER TABLE segments ADD COLUMN original_text TEXT;
                CREATE TABLE segment_revisions (
                    job_id TEXT NOT NULL,
                    idx INTEGER NOT NULL,
                    number INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    source TEXT NOT NULL,
                    author TEXT,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (job_id, idx, number),
                    FOREIGN KEY (job_id, idx) REFERENCES segments(job_id, idx) ON DELETE CASCADE
                );
                """)
        }
        migrator.registerMigration("v10-drafts") { db in
            try db.execute(sql: """
                CREATE TABLE drafts (
                    id TEXT PRIMARY KEY,
                    session_id TEXT NOT NULL,
                    state TEXT NOT NULL,
                    offset_seconds REAL NOT NULL,
                    duration_seconds REAL,
                    text TEXT NOT NULL DEFAULT '',
                    original_text TEXT,
                    model TEXT NOT NULL,
                    language TEXT,
                    segments TEXT NOT NULL DEFAULT '[]',
                    has_audio INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    ended_at REAL
                );
                CREATE INDEX drafts_session ON drafts(session_id, offset_seconds);
                CREATE TABLE draft_revisions (
                    draft_id TEXT NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    source TEXT NOT NULL,
                    author TEXT,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (draft_id, number)
                );
                """)
        }
        migrator.registerMigration("v11-reprocess") { db in
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN draft_id TEXT;
                ALTER TABLE drafts ADD COLUMN reprocess_job_id TEXT;
                """)
        }
        migrator.registerMigration("v12-streams") { db in
            try db.execute(sql: """
                CREATE TABLE streams (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    url TEXT NOT NULL,
                    enabled INTEGER NOT NULL,
                    stall_timeout_seconds REAL NOT NULL,
                    model TEXT NOT NULL,
                    language TEXT,
                    created_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v13-draft-suggestions") { db in
            try db.execute(sql: """
                CREATE TABLE draft_suggestions (
                    draft_id TEXT NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    base_text TEXT NOT NULL,
                    text TEXT NOT NULL,
                    model TEXT NOT NULL,
                    changes TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    decided_at REAL,
                    decided_by TEXT,
                    PRIMARY KEY (draft_id, number)
                );
                """)
        }
        migrator.registerMigration("v14-prompt-temperature") { db in
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN prompt TEXT;
                ALTER TABLE jobs ADD COLUMN temperature REAL;
                """)
        }
        migrator.registerMigration("v15-watched-files") { db in
            try db.execute(sql: """
                CREATE TABLE watched_files (
                    key TEXT PRIMARY KEY,
                    job_id TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v16-feeds") { db in
            try db.execute(sql: """
                CREATE TABLE feeds (
                    id TEXT PRIMARY KEY,
                    url TEXT NOT NULL UNIQUE,
                    body TEXT NOT NULL
                );
                CREATE TABLE feed_episodes (
                    feed_id TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
                    guid TEXT NOT NULL,
                    published_at REAL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (feed_id, guid)
                );
                """)
        }
        migrator.registerMigration("v17-job-metadata") { db in
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN metadata TEXT")
        }
        migrator.registerMigration("v18-accounts") { db in
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN owner_id TEXT;
                CREATE INDEX jobs_owner ON jobs(owner_id, seq);
                """ + SQLiteSchema.accountTables)
        }
        migrator.registerMigration("v19-shares-draft-owners") { db in
            try db.execute(sql: """
                CREATE TABLE job_shares (
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    access TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (job_id, user_id)
                );
                CREATE INDEX job_shares_user ON job_shares(user_id, job_id);
                ALTER TABLE drafts ADD COLUMN owner_id TEXT;
                CREATE INDEX drafts_owner ON drafts(owner_id, created_at);
                """)
        }
        migrator.registerMigration("v20-speakers") { db in
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN diarization TEXT;
                ALTER TABLE segments ADD COLUMN speaker TEXT;
                CREATE TABLE enrolled_speakers (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    embedding BLOB NOT NULL,
                    source TEXT,
                    created_at REAL NOT NULL
                );
                CREATE TABLE transcript_speakers (
                    job_id TEXT NOT NULL REFERENCES transcripts(job_id) ON DELETE CASCADE,
                    id TEXT NOT NULL,
                    name TEXT,
                    enrolled_id TEXT REFERENCES enrolled_speakers(id) ON DELETE SET NULL,
                    speech_seconds REAL NOT NULL,
                    embedding BLOB,
                    PRIMARY KEY (job_id, id)
                );
                CREATE INDEX transcript_speakers_enrolled ON transcript_speakers(enrolled_id);
                ALTER TABLE streams ADD COLUMN diarize INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE drafts ADD COLUMN speaker TEXT;
                """)
        }
        migrator.registerMigration("v21-media-removal-index") { db in
            // Every new job clears `media_removed_at` on the earlier jobs of the same content; with
            // the sha alone indexed, that visited every job of a file uploaded many times.
            try db.execute(sql: """
                DROP INDEX jobs_media;
                CREATE INDEX jobs_media ON jobs(media_sha256, media_removed_at);
                """)
        }
        return migrator
    }

    /// Users, their API keys and browser sessions; the same columns as PostgreSQL's.
    static let accountTables = """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_login_at REAL
        );
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            scopes TEXT NOT NULL,
            prefix TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            last_used_at REAL,
            revoked_at REAL
        );
        CREATE INDEX api_keys_user ON api_keys(user_id);
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        );
        CREATE INDEX sessions_user ON sessions(user_id);
        """
}
