import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createJob(_ newJob: NewJob, now: Date) async throws -> Job {
        try writeNow { db in
            let seconds = now.timeIntervalSince1970
            try db.executeCached(sql: """
                INSERT INTO jobs (id, state, priority, model, language, beam_size, word_timestamps, media_sha256,
                    media_filename, media_content_type, media_size, media_duration, max_attempts, created_at, updated_at, draft_id,
                    prompt, temperature, metadata, owner_id, diarization)
                VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    newJob.id.rawValue, newJob.priority, newJob.options.model, newJob.options.language,
                    newJob.options.beamSize, newJob.options.wordTimestamps, newJob.media.sha256, newJob.media.filename,
                    newJob.media.contentType, newJob.media.sizeBytes, newJob.media.durationSeconds, newJob.maxAttempts,
                    seconds, seconds, newJob.draftId, newJob.options.prompt, newJob.options.temperature,
                    newJob.metadata.isEmpty ? nil : String(decoding: try JSONEncoder().encode(newJob.metadata), as: UTF8.self),
                    newJob.ownerId, JobRow.diarizationColumn(newJob.options.diarization),
                ])
            if let draftId = newJob.draftId {
                try db.executeCached(sql: "UPDATE drafts SET reprocess_job_id = ? WHERE id = ?", arguments: [newJob.id.rawValue, draftId])
                guard db.changesCount == 1 else { throw StoreError.draftNotFound(draftId) }
            }
            // The same content is on disk again: earlier jobs that shared it may be retried.
            try db.executeCached(
                sql: "UPDATE jobs SET media_removed_at = NULL WHERE media_sha256 = ? AND media_removed_at IS NOT NULL",
                arguments: [newJob.media.sha256]
            )
            let job = try JobRow.require(db, id: newJob.id)
            try SQLiteEvents.appendJob(db, .jobCreated, job, source: "server", now: now)
            return job
        }
    }

    public func job(_ id: JobID) async throws -> Job {
        try readNow { db in try JobRow.require(db, id: id) }
    }

    public func jobs(_ query: JobQuery) async throws -> JobPage {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if !query.states.isEmpty {
            conditions.append("state IN (\(Array(repeating: "?", count: query.states.count).joined(separator: ", ")))")
            arguments.append(contentsOf: query.states.map(\.rawValue).sorted())
        }
        if let from = query.createdFrom {
            conditions.append("created_at >= ?")
            arguments.append(from.timeIntervalSince1970)
        }
        if let before = query.createdBefore {
            conditions.append("created_at < ?")
            arguments.append(before.timeIntervalSince1970)
        }
        if let user = query.visibleTo {
            conditions.append("(owner_id = ? OR id IN (SELECT job_id FROM job_shares WHERE user_id = ?))")
            arguments.append(contentsOf: [user, user])
        }
        if let cursor = query.cursor {
            guard let seq = Int64(cursor), seq > 0 else { throw StoreError.invalidCursor(cursor) }
            conditions.append("seq < ?")
            arguments.append(seq)
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = max(1, query.limit)
        let sql = "SELECT \(JobRow.columns) FROM jobs \(whereClause) ORDER BY seq DESC LIMIT \(limit + 1)"
        let statementArguments = StatementArguments(arguments)
        return try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: statementArguments)
            let page = rows.prefix(limit)
            let next: String? = rows.count > limit ? page.last.map { String($0["seq"] as Int64) } : nil
            return JobPage(jobs: page.map(JobRow.job(from:)), nextCursor: next)
        }
    }

    public func attempts(of id: JobID) async throws -> [Attempt] {
        try await pool.read { db in
            _ = try JobRow.require(db, id: id)
            return try db.fetchAllCached(sql: "SELECT * FROM attempts WHERE job_id = ? ORDER BY number", arguments: [id.rawValue]).map { row in
                let code: String? = row["error_code"]
                return Attempt(
                    number: row["number"], holder: row["holder"], token: row["token"],
                    startedAt: JobRow.date(row["started_at"]), endedAt: JobRow.optionalDate(row["ended_at"]),
                    outcome: Attempt.Outcome(rawValue: row["outcome"]) ?? .failed,
                    error: code.map { JobError(code: $0, message: row["error_message"] ?? "") }
                )
            }
        }
    }

    public func cancel(_ id: JobID, now: Date) async throws -> Job {
        try writeNow { db in
            guard let (job, token) = try JobRow.fetch(db, id: id) else { throw StoreError.jobNotFound(id) }
            guard !job.state.isTerminal else { throw StoreError.invalidTransition(id, from: job.state, action: "cancel") }
            let seconds = now.timeIntervalSince1970
            if job.state == .running {
                let lease = Lease(jobID: id, attempt: 0, token: token, holder: job.leaseHolder ?? "", expiresAt: now)
                try Self.endAttempt(db, lease, outcome: .cancelled, error: nil, now: now)
            }
            try db.executeCached(sql: """
                UPDATE jobs SET state = 'cancelled', lease_holder = NULL, lease_expires_at = NULL, not_before = NULL,
                    finished_at = ?, updated_at = ?
                WHERE id = ?
                """, arguments: [seconds, seconds, id.rawValue])
            let cancelled = try JobRow.require(db, id: id)
            try SQLiteEvents.appendJob(db, .jobCancelled, cancelled, source: "server", now: now)
            return cancelled
        }
    }

    public func retry(_ id: JobID, now: Date) async throws -> Job {
        try writeNow { db in
            let job = try JobRow.require(db, id: id)
            guard job.state == .failed || job.state == .cancelled else {
                throw StoreError.invalidTransition(id, from: job.state, action: "retry")
            }
            guard job.media.removedAt == nil else { throw StoreError.mediaRemoved(id) }
            try db.executeCached(sql: """
                UPDATE jobs SET state = 'queued', attempts_used = 0, progress = 0, not_before = NULL, finished_at = NULL,
                    error_code = NULL, error_message = NULL, updated_at = ?
                WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, id.rawValue])
            let retried = try JobRow.require(db, id: id)
            try SQLiteEvents.appendJob(db, .jobRetried, retried, source: "server", reason: "retry", now: now)
            return retried
        }
    }

    public func delete(_ id: JobID) async throws -> DeletedJob {
        try await pool.write { db in
            let job = try JobRow.require(db, id: id)
            try db.executeCached(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id.rawValue])
            try SQLiteEvents.appendJob(db, .jobDeleted, job, source: "server", now: Date())
            let references = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM jobs WHERE media_sha256 = ? AND media_removed_at IS NULL"), arguments: [job.media.sha256]
            ) ?? 0
            return DeletedJob(job: job, mediaStillReferenced: references > 0)
        }
    }

    public func transcript(of id: JobID) async throws -> Transcript? {
        try await pool.read { db in
            _ = try JobRow.require(db, id: id)
            return try SQLiteTranscripts.fetch(db, jobID: id)
        }
    }

    public func partialSegments(of id: JobID) async throws -> [Segment] {
        try await pool.read { db in
            _ = try JobRow.require(db, id: id)
            return try SQLiteTranscripts.fetchPartial(db, jobID: id)
        }
    }

    public func stateCounts() async throws -> [JobState: Int] {
        try await pool.read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try db.fetchAllCached(sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    public func isMediaReferenced(_ sha256: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE media_sha256 = ? AND media_removed_at IS NULL)"), arguments: [sha256]
            ) ?? false
        }
    }

    public func mediaDueForRemoval(finishedBefore: Date, limit: Int) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db.cachedStatement(sql: """
                SELECT media_sha256 FROM jobs
                GROUP BY media_sha256
                HAVING SUM(state NOT IN ('succeeded', 'failed', 'cancelled')) = 0
                    AND MAX(finished_at) < ? AND SUM(media_removed_at IS NULL) > 0
                ORDER BY MAX(finished_at) LIMIT ?
                """), arguments: [finishedBefore.timeIntervalSince1970, limit])
        }
    }

    public func markMediaRemoved(_ sha256: String, finishedBefore: Date, source: String, now: Date) async throws -> Bool {
        try await pool.write { db in
            let inUse = try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM jobs WHERE media_sha256 = ?
                    AND (state NOT IN ('succeeded', 'failed', 'cancelled') OR finished_at IS NULL OR finished_at >= ?))
                """), arguments: [sha256, finishedBefore.timeIntervalSince1970]) ?? true
            guard !inUse else { return false }
            let marked = try db.fetchAllCached(sql: """
                UPDATE jobs SET media_removed_at = ? WHERE media_sha256 = ? AND media_removed_at IS NULL RETURNING \(JobRow.columns)
                """, arguments: [now.timeIntervalSince1970, sha256]).map(JobRow.job(from:))
            for job in marked {
                try SQLiteEvents.appendJob(db, .jobMediaRemoved, job, source: source, reason: "retention", now: now)
            }
            return !marked.isEmpty
        }
    }

    public func throughput(since: Date) async throws -> (jobs: Int, audioSeconds: Double) {
        try await pool.read { db in
            let row = try db.fetchOneCached(sql: """
                SELECT COUNT(*) AS jobs, COALESCE(SUM(t.duration), 0) AS audio
                FROM jobs j JOIN transcripts t ON t.job_id = j.id
                WHERE j.state = 'succeeded' AND j.finished_at >= ?
                """, arguments: [since.timeIntervalSince1970])
            return (row?["jobs"] ?? 0, row?["audio"] ?? 0)
        }
    }

    public func hourlyThroughput(hours: Int, now: Date) async throws -> [Double] {
        let start = now.timeIntervalSince1970 - Double(hours) * 3600
        return try await pool.read { db in
            var buckets = Array(repeating: 0.0, count: max(hours, 0))
            let rows = try db.fetchAllCached(sql: """
                SELECT CAST((j.finished_at - ?) / 3600 AS INTEGER) AS bucket, SUM(t.duration) AS audio
                FROM jobs j JOIN transcripts t ON t.job_id = j.id
                WHERE j.state = 'succeeded' AND j.finished_at >= ? GROUP BY bucket
                """, arguments: [start, start])
            for row in rows {
                let bucket: Int = row["bucket"]
                if buckets.indices.contains(bucket) { buckets[bucket] += row["audio"] ?? 0 }
            }
            return buckets
        }
    }
}
