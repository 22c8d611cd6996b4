import Foundation

/// Versioned schema of the PostgreSQL store. Migrations are append-only: never edit one that has
/// shipped. Each is a list of single statements (the extended protocol runs one at a time) and
/// runs in its own transaction.
///
/// The tables mirror the SQLite store's, so both stores' code reads alike: times are Unix seconds
/// (`DOUBLE PRECISION`), flags are `BOOLEAN`, and JSON documents are `TEXT` written and read by
/// the same Swift encoders.
enum PostgresSchema {
    static let migrations: [(version: String, statements: [String])] = [
        ("v1-initial", [
            """
            CREATE TABLE jobs (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                state TEXT NOT NULL,
                priority BIGINT NOT NULL DEFAULT 0,
                model TEXT NOT NULL,
                language TEXT,
                beam_size BIGINT NOT NULL,
                word_timestamps BOOLEAN NOT NULL,
                media_sha256 TEXT NOT NULL,
                media_filename TEXT NOT NULL,
                media_content_type TEXT,
                media_size BIGINT NOT NULL,
                media_duration DOUBLE PRECISION,
                progress DOUBLE PRECISION NOT NULL DEFAULT 0,
                attempts_used BIGINT NOT NULL DEFAULT 0,
                max_attempts BIGINT NOT NULL,
                lease_token BIGINT NOT NULL DEFAULT 0,
                lease_holder TEXT,
                lease_expires_at DOUBLE PRECISION,
                not_before DOUBLE PRECISION,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                started_at DOUBLE PRECISION,
                finished_at DOUBLE PRECISION,
                error_code TEXT,
                error_message TEXT,
                media_removed_at DOUBLE PRECISION,
                draft_id TEXT,
                prompt TEXT,
                temperature DOUBLE PRECISION,
                metadata TEXT
            )
            """,
            "CREATE INDEX jobs_claim_order ON jobs (state, priority DESC, seq)",
            "CREATE INDEX jobs_media ON jobs (media_sha256)",
            "CREATE INDEX jobs_lease_holder ON jobs (lease_holder) WHERE lease_holder IS NOT NULL",
            "CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE state = 'running'",
            """
            CREATE TABLE attempts (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                number BIGINT NOT NULL,
                holder TEXT NOT NULL,
                token BIGINT NOT NULL,
                started_at DOUBLE PRECISION NOT NULL,
                ended_at DOUBLE PRECISION,
                outcome TEXT NOT NULL,
                error_code TEXT,
                error_message TEXT,
                PRIMARY KEY (job_id, number)
            )
            """,
            """
            CREATE TABLE transcripts (
                job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
                title TEXT NOT NULL,
                source TEXT NOT NULL,
                language TEXT NOT NULL,
                model TEXT NOT NULL,
                duration DOUBLE PRECISION NOT NULL,
                processing DOUBLE PRECISION NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            // Search folds accents ("cafe" finds "café") and does no stemming or stop words, like
            // the SQLite store's unicode61 tokenizer. unaccent is a trusted extension: a database
            // owner may create it without being a superuser.
            "CREATE EXTENSION IF NOT EXISTS unaccent",
            """
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'earshot_search') THEN
                    CREATE TEXT SEARCH CONFIGURATION earshot_search (COPY = simple);
                    ALTER TEXT SEARCH CONFIGURATION earshot_search ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
                END IF;
            END $$
            """,
            """
            CREATE TABLE segments (
                job_id TEXT NOT NULL REFERENCES transcripts(job_id) ON DELETE CASCADE,
                idx BIGINT NOT NULL,
                start DOUBLE PRECISION NOT NULL,
                "end" DOUBLE PRECISION NOT NULL,
                text TEXT NOT NULL,
                avg_logprob DOUBLE PRECISION,
                no_speech_prob DOUBLE PRECISION,
                words TEXT,
                original_text TEXT,
                search tsvector GENERATED ALWAYS AS (to_tsvector('earshot_search'::regconfig, text)) STORED,
                PRIMARY KEY (job_id, idx)
            )
            """,
            "CREATE INDEX segments_search ON segments USING GIN (search)",
            """
            CREATE TABLE segment_revisions (
                job_id TEXT NOT NULL,
                idx BIGINT NOT NULL,
                number BIGINT NOT NULL,
                text TEXT NOT NULL,
                source TEXT NOT NULL,
                author TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (job_id, idx, number),
                FOREIGN KEY (job_id, idx) REFERENCES segments(job_id, idx) ON DELETE CASCADE
            )
            """,
            // Rows carry the lease token of the attempt that sent them; reads keep only the
            // current attempt's, so a retried job never shows its dead attempt's text.
            """
            CREATE TABLE partial_segments (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                idx BIGINT NOT NULL,
                token BIGINT NOT NULL,
                start DOUBLE PRECISION NOT NULL,
                "end" DOUBLE PRECISION NOT NULL,
                text TEXT NOT NULL,
                avg_logprob DOUBLE PRECISION,
                no_speech_prob DOUBLE PRECISION,
                words TEXT,
                PRIMARY KEY (job_id, idx)
            )
            """,
            // An identity is never reused, even after the newest events are pruned, so a reader's
            // Last-Event-ID can never point at a different event.
            """
            CREATE TABLE events (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                time DOUBLE PRECISION NOT NULL,
                type TEXT NOT NULL,
                correlation_id TEXT,
                causation_id TEXT,
                source TEXT NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX events_correlation ON events (correlation_id, seq) WHERE correlation_id IS NOT NULL",
            "CREATE INDEX events_time ON events (time)",
            """
            CREATE TABLE nodes (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                key_hash TEXT NOT NULL UNIQUE,
                priority BIGINT NOT NULL DEFAULT 0,
                disabled BOOLEAN NOT NULL DEFAULT FALSE,
                created_at DOUBLE PRECISION NOT NULL,
                last_heartbeat_at DOUBLE PRECISION,
                capabilities TEXT,
                jobs_done BIGINT NOT NULL DEFAULT 0,
                audio_seconds_done DOUBLE PRECISION NOT NULL DEFAULT 0,
                announced_online BOOLEAN NOT NULL DEFAULT FALSE
            )
            """,
            "CREATE TABLE plugin_cursors (plugin TEXT PRIMARY KEY, seq BIGINT NOT NULL)",
            """
            CREATE TABLE drafts (
                id TEXT PRIMARY KEY,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                session_id TEXT NOT NULL,
                state TEXT NOT NULL,
                offset_seconds DOUBLE PRECISION NOT NULL,
                duration_seconds DOUBLE PRECISION,
                text TEXT NOT NULL DEFAULT '',
                original_text TEXT,
                model TEXT NOT NULL,
                language TEXT,
                segments TEXT NOT NULL DEFAULT '[]',
                has_audio BOOLEAN NOT NULL DEFAULT FALSE,
                created_at DOUBLE PRECISION NOT NULL,
                ended_at DOUBLE PRECISION,
                reprocess_job_id TEXT
            )
            """,
            "CREATE INDEX drafts_session ON drafts (session_id, offset_seconds)",
            """
            CREATE TABLE draft_revisions (
                draft_id TEXT NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
                number BIGINT NOT NULL,
                text TEXT NOT NULL,
                source TEXT NOT NULL,
                author TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (draft_id, number)
            )
            """,
            """
            CREATE TABLE draft_suggestions (
                draft_id TEXT NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
                number BIGINT NOT NULL,
                base_text TEXT NOT NULL,
                text TEXT NOT NULL,
                model TEXT NOT NULL,
                changes TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                decided_at DOUBLE PRECISION,
                decided_by TEXT,
                PRIMARY KEY (draft_id, number)
            )
            """,
            """
            CREATE TABLE streams (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                url TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                stall_timeout_seconds DOUBLE PRECISION NOT NULL,
                model TEXT NOT NULL,
                language TEXT,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE watched_files (
                key TEXT PRIMARY KEY,
                job_id TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE TABLE feeds (id TEXT PRIMARY KEY, url TEXT NOT NULL UNIQUE, body TEXT NOT NULL)",
            """
            CREATE TABLE feed_episodes (
                feed_id TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
                guid TEXT NOT NULL,
                published_at DOUBLE PRECISION,
                body TEXT NOT NULL,
                PRIMARY KEY (feed_id, guid)
            )
            """,
        ]),
        ("v2-accounts", [
            "ALTER TABLE jobs ADD COLUMN owner_id TEXT",
            "CREATE INDEX jobs_owner ON jobs(owner_id, seq)",
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                last_login_at DOUBLE PRECISION
            )
            """,
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                scopes TEXT NOT NULL,
                prefix TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                created_at DOUBLE PRECISION NOT NULL,
                last_used_at DOUBLE PRECISION,
                revoked_at DOUBLE PRECISION
            )
            """,
            "CREATE INDEX api_keys_user ON api_keys(user_id)",
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX sessions_user ON sessions(user_id)",
        ]),
        ("v3-shares-draft-owners", [
            """
            CREATE TABLE job_shares (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                access TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (job_id, user_id)
            )
            """,
            "CREATE INDEX job_shares_user ON job_shares(user_id, job_id)",
            "ALTER TABLE drafts ADD COLUMN owner_id TEXT",
            "CREATE INDEX drafts_owner ON drafts(owner_id, created_at)",
        ]),
        ("v4-speakers", [
            "ALTER TABLE jobs ADD COLUMN diarization TEXT",
            "ALTER TABLE segments ADD COLUMN speaker TEXT",
            """
            CREATE TABLE enrolled_speakers (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                embedding BYTEA NOT NULL,
                source TEXT,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE transcript_speakers (
                job_id TEXT NOT NULL REFERENCES transcripts(job_id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT,
                enrolled_id TEXT REFERENCES enrolled_speakers(id) ON DELETE SET NULL,
                speech_seconds DOUBLE PRECISION NOT NULL,
                embedding BYTEA,
                PRIMARY KEY (job_id, id)
            )
            """,
            "CREATE INDEX transcript_speakers_enrolled ON transcript_speakers(enrolled_id)",
            "ALTER TABLE streams ADD COLUMN diarize BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE drafts ADD COLUMN speaker TEXT",
        ]),
        // Every new job clears `media_removed_at` on the earlier jobs of the same content; with
        // the sha alone indexed, that visited every job of a file uploaded many times.
        ("v5-media-removal-index", [
            "DROP INDEX jobs_media",
            "CREATE INDEX jobs_media ON jobs (media_sha256, media_removed_at)",
        ]),
    ]

    /// Applies pending migrations. Replicas starting together serialize on a session advisory
    /// lock, so each migration runs exactly once.
    static func migrate(_ session: PostgresSession) async throws {
        let lockKey = "earshot:migrations"
        try await session.execute("SELECT pg_advisory_lock(hashtextextended(?, 0))", [lockKey])
        do {
            try await session.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)
                """)
            let applied = Set(try await session.rows("SELECT version FROM schema_migrations").map { try $0.get(0, as: String.self) })
            for migration in migrations where !applied.contains(migration.version) {
                try await session.execute("BEGIN")
                do {
                    for statement in migration.statements { try await session.execute(statement) }
                    try await session.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [migration.version, Date().timeIntervalSince1970]
                    )
                    try await session.execute("COMMIT")
                } catch {
                    try? await session.execute("ROLLBACK")
                    throw error
                }
            }
        } catch {
            try? await session.execute("SELECT pg_advisory_unlock(hashtextextended(?, 0))", [lockKey])
            throw error
        }
        try await session.execute("SELECT pg_advisory_unlock(hashtextextended(?, 0))", [lockKey])
    }
}
