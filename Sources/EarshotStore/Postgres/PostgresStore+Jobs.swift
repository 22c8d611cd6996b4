import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// Serializes the decisions about one media file's content: a new job for it and the
    /// retention plugin's removal must not interleave (the new job would lose its file).
    static func mediaLock(_ sha256: String) -> String { "earshot:media:\(sha256)" }

    public func createJob(_ newJob: NewJob, now: Date) async throws -> Job {
        try await write { session in try await Self.insertJob(session, newJob, now: now) }
    }

    /// Inserts the job queued, links its draft, un-removes media shared with earlier jobs and
    /// appends `job.created`, under the media's lock (retention cannot remove the content
    /// meanwhile); in the caller's transaction.
    static func insertJob(_ session: PostgresSession, _ newJob: NewJob, now: Date) async throws -> Job {
        let seconds = now.timeIntervalSince1970
        let metadata = newJob.metadata.isEmpty ? nil : String(decoding: try JSONEncoder().encode(newJob.metadata), as: UTF8.self)
        try await session.lock(mediaLock(newJob.media.sha256))
        try await session.execute("""
            INSERT INTO jobs (id, state, priority, model, language, beam_size, word_timestamps, media_sha256,
                media_filename, media_content_type, media_size, media_duration, max_attempts, created_at, updated_at, draft_id,
                prompt, temperature, metadata, owner_id, diarization)
            VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                newJob.id.rawValue, newJob.priority, newJob.options.model, newJob.options.language,
                newJob.options.beamSize, newJob.options.wordTimestamps, newJob.media.sha256, newJob.media.filename,
                newJob.media.contentType, newJob.media.sizeBytes, newJob.media.durationSeconds, newJob.maxAttempts,
                seconds, seconds, newJob.draftId, newJob.options.prompt, newJob.options.temperature, metadata,
                newJob.ownerId, JobRow.diarizationColumn(newJob.options.diarization),
            ])
        if let draftId = newJob.draftId {
            let updated = try await session.rows("UPDATE drafts SET reprocess_job_id = ? WHERE id = ? RETURNING id", [newJob.id.rawValue, draftId])
            guard updated.count == 1 else { throw StoreError.draftNotFound(draftId) }
        }
        // The same content is on disk again: earlier jobs that shared it may be retried.
        try await session.execute(
            "UPDATE jobs SET media_removed_at = NULL WHERE media_sha256 = ? AND media_removed_at IS NOT NULL", [newJob.media.sha256]
        )
        let job = try await PostgresJobRow.require(session, id: newJob.id)
        try session.appendJob(.jobCreated, job, source: "server", now: now)
        return job
    }

    public func job(_ id: JobID) async throws -> Job {
        try await read { session in try await PostgresJobRow.require(session, id: id) }
    }

    public func jobs(_ query: JobQuery) async throws -> JobPage {
        var conditions: [String] = []
        var arguments: [SQLArgument] = []
        if !query.states.isEmpty {
            conditions.append("state = ANY(?)")
            arguments.append(query.states.map(\.rawValue).sorted())
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
        let finalArguments = arguments
        return try await read { session in
            let rows = try await session.rows(sql, finalArguments)
            let page = rows.prefix(limit)
            let next: String? = rows.count > limit ? try page.last.map { String(try $0.get(25, as: Int64.self)) } : nil
            return JobPage(jobs: try page.map(PostgresJobRow.job(from:)), nextCursor: next)
        }
    }

    public func attempts(of id: JobID) async throws -> [Attempt] {
        try await read { session in
            _ = try await PostgresJobRow.require(session, id: id)
            return try await session.rows("""
                SELECT number, holder, token, started_at, ended_at, outcome, error_code, error_message
                FROM attempts WHERE job_id = ? ORDER BY number
                """, [id.rawValue]).map { row in
                let code = try row.get(6, as: String?.self)
                let message = try row.get(7, as: String?.self)
                return Attempt(
                    number: try row.get(0), holder: try row.get(1), token: try row.get(2),
                    startedAt: JobRow.date(try row.get(3)), endedAt: JobRow.optionalDate(try row.get(4)),
                    outcome: Attempt.Outcome(rawValue: try row.get(5)) ?? .failed,
                    error: code.map { JobError(code: $0, message: message ?? "") }
                )
            }
        }
    }

    public func cancel(_ id: JobID, now: Date) async throws -> Job {
        try await write { session in
            guard let (job, token) = try await PostgresJobRow.fetch(session, id: id, lock: true) else { throw StoreError.jobNotFound(id) }
            guard !job.state.isTerminal else { throw StoreError.invalidTransition(id, from: job.state, action: "cancel") }
            let seconds = now.timeIntervalSince1970
            if job.state == .running {
                let lease = Lease(jobID: id, attempt: 0, token: token, holder: job.leaseHolder ?? "", expiresAt: now)
                try await Self.endAttempt(session, lease, outcome: .cancelled, error: nil, now: now)
            }
            try await session.execute("""
                UPDATE jobs SET state = 'cancelled', lease_holder = NULL, lease_expires_at = NULL, not_before = NULL,
                    finished_at = ?, updated_at = ?
                WHERE id = ?
                """, [seconds, seconds, id.rawValue])
            let cancelled = try await PostgresJobRow.require(session, id: id)
            try session.appendJob(.jobCancelled, cancelled, source: "server", now: now)
            return cancelled
        }
    }

    public func retry(_ id: JobID, now: Date) async throws -> Job {
        try await write { session in
            let job = try await PostgresJobRow.require(session, id: id, lock: true)
            guard job.state == .failed || job.state == .cancelled else {
                throw StoreError.invalidTransition(id, from: job.state, action: "retry")
            }
            guard job.media.removedAt == nil else { throw StoreError.mediaRemoved(id) }
            try await session.execute("""
                UPDATE jobs SET state = 'queued', attempts_used = 0, progress = 0, not_before = NULL, finished_at = NULL,
                    error_code = NULL, error_message = NULL, updated_at = ?
                WHERE id = ?
                """, [now.timeIntervalSince1970, id.rawValue])
            let retried = try await PostgresJobRow.require(session, id: id)
            try session.appendJob(.jobRetried, retried, source: "server", reason: "retry", now: now)
            return retried
        }
    }

    public func delete(_ id: JobID) async throws -> DeletedJob {
        try await write { session in
            let job = try await PostgresJobRow.require(session, id: id, lock: true)
            try await session.execute("DELETE FROM jobs WHERE id = ?", [id.rawValue])
            try session.appendJob(.jobDeleted, job, source: "server", now: Date())
            let references = try await session.scalar(
                Int.self, "SELECT COUNT(*) FROM jobs WHERE media_sha256 = ? AND media_removed_at IS NULL", [job.media.sha256]
            ) ?? 0
            return DeletedJob(job: job, mediaStillReferenced: references > 0)
        }
    }

    public func transcript(of id: JobID) async throws -> Transcript? {
        try await read { session in
            _ = try await PostgresJobRow.require(session, id: id)
            return try await PostgresTranscripts.fetch(session, jobID: id)
        }
    }

    public func partialSegments(of id: JobID) async throws -> [Segment] {
        try await read { session in
            _ = try await PostgresJobRow.require(session, id: id)
            return try await PostgresTranscripts.fetchPartial(session, jobID: id)
        }
    }

    public func stateCounts() async throws -> [JobState: Int] {
        try await read { session in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try await session.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state") {
                if let state = JobState(rawValue: try row.get(0)) { counts[state] = try row.get(1, as: Int.self) }
            }
            return counts
        }
    }

    public func isMediaReferenced(_ sha256: String) async throws -> Bool {
        try await read { session in
            try await session.scalar(
                Bool.self, "SELECT EXISTS (SELECT 1 FROM jobs WHERE media_sha256 = ? AND media_removed_at IS NULL)", [sha256]
            ) ?? false
        }
    }

    public func mediaDueForRemoval(finishedBefore: Date, limit: Int) async throws -> [String] {
        try await read { session in
            try await session.rows("""
                SELECT media_sha256 FROM jobs
                GROUP BY media_sha256
                HAVING COUNT(*) FILTER (WHERE state NOT IN ('succeeded', 'failed', 'cancelled')) = 0
                    AND MAX(finished_at) < ? AND COUNT(*) FILTER (WHERE media_removed_at IS NULL) > 0
                ORDER BY MAX(finished_at) LIMIT ?
                """, [finishedBefore.timeIntervalSince1970, limit]).map { try $0.get(0, as: String.self) }
        }
    }

    public func markMediaRemoved(_ sha256: String, finishedBefore: Date, source: String, now: Date) async throws -> Bool {
        try await write { session in
            try await session.lock(Self.mediaLock(sha256))
            let inUse = try await session.scalar(Bool.self, """
                SELECT EXISTS (SELECT 1 FROM jobs WHERE media_sha256 = ?
                    AND (state NOT IN ('succeeded', 'failed', 'cancelled') OR finished_at IS NULL OR finished_at >= ?))
                """, [sha256, finishedBefore.timeIntervalSince1970]) ?? true
            guard !inUse else { return false }
            let marked = try await session.rows("""
                UPDATE jobs SET media_removed_at = ? WHERE media_sha256 = ? AND media_removed_at IS NULL RETURNING \(JobRow.columns)
                """, [now.timeIntervalSince1970, sha256]).map(PostgresJobRow.job(from:))
            for job in marked {
                try session.appendJob(.jobMediaRemoved, job, source: source, reason: "retention", now: now)
            }
            return !marked.isEmpty
        }
    }

    public func throughput(since: Date) async throws -> (jobs: Int, audioSeconds: Double) {
        let row = try await read { session in
            try await session.row("""
                SELECT COUNT(*), COALESCE(SUM(t.duration), 0)
                FROM jobs j JOIN transcripts t ON t.job_id = j.id
                WHERE j.state = 'succeeded' AND j.finished_at >= ?
                """, [since.timeIntervalSince1970]).map { (try $0.get(0, as: Int.self), try $0.get(1, as: Double.self)) }
        }
        return row ?? (0, 0)
    }

    public func hourlyThroughput(hours: Int, now: Date) async throws -> [Double] {
        let start = now.timeIntervalSince1970 - Double(hours) * 3600
        return try await read { session in
            var buckets = Array(repeating: 0.0, count: max(hours, 0))
            let rows = try await session.rows("""
                SELECT FLOOR((j.finished_at - ?) / 3600)::bigint AS bucket, SUM(t.duration)
                FROM jobs j JOIN transcripts t ON t.job_id = j.id
                WHERE j.state = 'succeeded' AND j.finished_at >= ? GROUP BY bucket
                """, [start, start])
            for row in rows {
                let bucket = try row.get(0, as: Int.self)
                if buckets.indices.contains(bucket) { buckets[bucket] += try row.get(1, as: Double?.self) ?? 0 }
            }
            return buckets
        }
    }
}
