import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func claimJobs(
        holder: String, leaseSeconds: Double, models: [String]?, canDiarize: Bool, limit: Int, now: Date
    ) async throws -> [ClaimedJob] {
        let policy = retryPolicy
        let criteria = ClaimCriteria(holder: holder, leaseSeconds: leaseSeconds, models: models, canDiarize: canDiarize, limit: limit)
        guard let query = ClaimQuery(criteria, now: now) else { return [] }
        // Reads run beside the single writer (WAL). Most claims from idle nodes find nothing, and
        // they must not queue behind the writer, nor hold it, to learn that.
        let worthWriting = try readNow { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: """
                    SELECT EXISTS (SELECT 1 FROM jobs WHERE \(query.claimable))
                        OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running' AND lease_expires_at < ?)
                    """),
                arguments: query.arguments + [now.timeIntervalSince1970]
            ) ?? false
        }
        guard worthWriting else { return [] }
        return try writeNow { db in try Self.claim(db, query, policy: policy, now: now) }
    }

    /// One transaction: the results as ``completeAll(_:now:)`` stores them, then the claim. A
    /// worker that delivers and takes its next job commits once instead of twice.
    public func completeAll(_ results: [JobResult], thenClaim claim: ClaimCriteria, now: Date) async throws -> CompletionsAndClaims {
        let policy = retryPolicy
        let query = ClaimQuery(claim, now: now)
        return try writeNow { db in
            let outcomes = try Self.completeAll(db, results, policy: policy, now: now)
            let claimed = try query.map { try Self.claim(db, $0, policy: policy, now: now) } ?? []
            return CompletionsAndClaims(outcomes: outcomes, claimed: claimed)
        }
    }

    /// The `WHERE` clause that picks claimable jobs for a claim, with its arguments; nil when the
    /// claim can take nothing (no models, or a limit of zero).
    struct ClaimQuery {
        let criteria: ClaimCriteria
        let claimable: String
        let arguments: StatementArguments

        init?(_ criteria: ClaimCriteria, now: Date) {
            if let models = criteria.models, models.isEmpty { return nil }
            guard criteria.limit > 0 else { return nil }
            self.criteria = criteria
            let modelFilter = (criteria.models.map { " AND model IN (\(Array(repeating: "?", count: $0.count).joined(separator: ", ")))" } ?? "")
                + (criteria.canDiarize ? "" : " AND diarization IS NULL")
            claimable = "state = 'queued' AND (not_before IS NULL OR not_before <= ?)\(modelFilter)"
            arguments = StatementArguments([now.timeIntervalSince1970]) + StatementArguments(criteria.models ?? [])
        }
    }

    /// Expired leases first (their jobs may be the ones to take), then up to the limit, inside the
    /// caller's write transaction.
    private static func claim(_ db: Database, _ query: ClaimQuery, policy: RetryPolicy, now: Date) throws -> [ClaimedJob] {
        let nowSeconds = now.timeIntervalSince1970
        try Self.expireLeases(db, whereSQL: "lease_expires_at < ?", arguments: [nowSeconds], policy: policy, now: now)
        let expires = nowSeconds + query.criteria.leaseSeconds
        var claimed: [ClaimedJob] = []
        while claimed.count < query.criteria.limit, let job = try Self.claimOne(
            db, holder: query.criteria.holder, expires: expires, claimable: query.claimable, arguments: query.arguments, now: now
        ) {
            claimed.append(job)
        }
        return claimed
    }

    /// Takes the first claimable job, if any, inside the caller's write transaction.
    private static func claimOne(
        _ db: Database, holder: String, expires: Double, claimable: String, arguments claimableArguments: StatementArguments, now: Date
    ) throws -> ClaimedJob? {
        let nowSeconds = now.timeIntervalSince1970
        // Pick and take the job in one statement: the fencing token is bumped where it is read.
        guard let row = try db.fetchOneCached(sql: """
            UPDATE jobs SET state = 'running', lease_token = lease_token + 1, lease_holder = ?, lease_expires_at = ?,
                not_before = NULL, progress = 0, updated_at = ?, started_at = COALESCE(started_at, ?)
            WHERE seq = (SELECT seq FROM jobs WHERE \(claimable) ORDER BY priority DESC, seq ASC LIMIT 1)
            RETURNING \(JobRow.columns)
            """, arguments: [holder, expires, nowSeconds, nowSeconds] + claimableArguments)
        else { return nil }
        let job = JobRow.job(from: row)
        let token = job.leaseToken
        let number = (try Int.fetchOne(
            db.cachedStatement(sql: "SELECT COALESCE(MAX(number), 0) FROM attempts WHERE job_id = ?"), arguments: [job.id.rawValue]
        ) ?? 0) + 1
        try db.executeCached(sql: """
            INSERT INTO attempts (job_id, number, holder, token, started_at, outcome) VALUES (?, ?, ?, ?, ?, 'running')
            """, arguments: [job.id.rawValue, number, holder, token, nowSeconds])
        try SQLiteEvents.appendJob(db, .jobClaimed, job, source: holder, attempt: number, now: now)
        let lease = Lease(jobID: job.id, attempt: number, token: token, holder: holder, expiresAt: Date(timeIntervalSince1970: expires))
        return ClaimedJob(job: job, lease: lease)
    }

    public func heartbeat(_ lease: Lease, progress: Double?, partial: PartialSegments?, leaseSeconds: Double, now: Date) async throws -> Lease {
        let policy = retryPolicy
        return try writeNow { db in
            let before = try Self.requireLease(db, lease, policy: policy, now: now)
            let expires = now.timeIntervalSince1970 + leaseSeconds
            if let progress {
                try db.executeCached(sql: "UPDATE jobs SET lease_expires_at = ?, progress = ?, updated_at = ? WHERE id = ?",
                               arguments: [expires, min(max(progress, 0), 1), now.timeIntervalSince1970, lease.jobID.rawValue])
            } else {
                try db.executeCached(sql: "UPDATE jobs SET lease_expires_at = ? WHERE id = ?", arguments: [expires, lease.jobID.rawValue])
            }
            if let progress, Self.isNotableProgress(from: before.progress, to: min(max(progress, 0), 1)) {
                try SQLiteEvents.appendJob(db, .jobProgress, try JobRow.require(db, id: lease.jobID), source: lease.holder, attempt: lease.attempt, now: now)
            }
            if let partial, !partial.segments.isEmpty {
                try SQLiteTranscripts.upsertPartial(db, jobID: lease.jobID, token: lease.token, partial)
                try SQLiteEvents.append(db, NewEvent(
                    type: .jobSegment, correlationId: lease.jobID.rawValue, source: lease.holder,
                    data: .segments(SegmentsEventData(jobId: lease.jobID, firstIndex: partial.firstIndex, segments: partial.segments))
                ), now: now)
            }
            var renewed = lease
            renewed.expiresAt = Date(timeIntervalSince1970: expires)
            return renewed
        }
    }

    public func complete(_ lease: Lease, transcript: Transcript, now: Date) async throws -> Job {
        let policy = retryPolicy
        return try writeNow { db in try Self.complete(db, lease, transcript: transcript, policy: policy, now: now) }
    }

    public func completeAll(_ results: [JobResult], now: Date) async throws -> [CompletionOutcome] {
        let policy = retryPolicy
        return try writeNow { db in try Self.completeAll(db, results, policy: policy, now: now) }
    }

    private static func completeAll(_ db: Database, _ results: [JobResult], policy: RetryPolicy, now: Date) throws -> [CompletionOutcome] {
        try results.map { result in
            // Each in its own savepoint: a result whose lease was lost is undone alone.
            var completed: Job?
            do {
                try db.inSavepoint {
                    completed = try Self.complete(db, result.lease, transcript: result.transcript, policy: policy, checkingHolder: true, now: now)
                    return .commit
                }
            } catch let error as StoreError {
                return .rejected(error)
            }
            return completed.map(CompletionOutcome.completed) ?? .rejected(.leaseLost(result.lease.jobID, .stale))
        }
    }

    private static func complete(
        _ db: Database, _ lease: Lease, transcript: Transcript, policy: RetryPolicy, checkingHolder: Bool = false, now: Date
    ) throws -> Job {
        let before = try Self.requireLease(db, lease, policy: policy, now: now)
        if checkingHolder, before.leaseHolder != lease.holder { throw StoreError.leaseHeldByAnother(lease.jobID) }
        let nowSeconds = now.timeIntervalSince1970
        try SQLiteTranscripts.insert(db, transcript)
        if let draftId = before.draftId, try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM drafts WHERE id = ?"), arguments: [draftId]) != nil {
            _ = try Self.insertDraftRevision(
                db, draftId, text: transcript.plainText, source: .whisperReprocess, author: transcript.model, now: now
            )
        }
        try db.executeCached(sql: """
            UPDATE jobs SET state = 'succeeded', progress = 1, lease_holder = NULL, lease_expires_at = NULL,
                finished_at = ?, updated_at = ?, error_code = NULL, error_message = NULL,
                media_duration = COALESCE(media_duration, ?)
            WHERE id = ?
            """, arguments: [nowSeconds, nowSeconds, transcript.durationSeconds, lease.jobID.rawValue])
        try Self.endAttempt(db, lease, outcome: .succeeded, error: nil, now: now)
        if lease.holder.hasPrefix("node:") {
            try db.executeCached(sql: "UPDATE nodes SET jobs_done = jobs_done + 1, audio_seconds_done = audio_seconds_done + ? WHERE id = ?",
                           arguments: [transcript.durationSeconds, String(lease.holder.dropFirst("node:".count))])
        }
        let job = try JobRow.require(db, id: lease.jobID)
        let succeeded = try SQLiteEvents.appendJob(db, .jobSucceeded, job, source: lease.holder, attempt: lease.attempt, now: now)
        try SQLiteEvents.append(db, NewEvent(
            type: .transcriptCreated, correlationId: job.id.rawValue, causationId: succeeded.id, source: lease.holder,
            data: .transcript(TranscriptEventData(
                jobId: job.id, language: transcript.language, durationSeconds: transcript.durationSeconds, segmentCount: transcript.segments.count
            ))
        ), now: now)
        return job
    }

    public func fail(_ lease: Lease, error: JobError, retryable: Bool, now: Date) async throws -> Job {
        let policy = retryPolicy
        return try writeNow { db in
            try Self.requireLease(db, lease, policy: policy, now: now)
            try Self.endAttempt(db, lease, outcome: .failed, error: error, now: now)
            try Self.requeueOrFail(
                db, id: lease.jobID, error: error, retryable: retryable, policy: policy, now: now, reason: "failed", source: lease.holder,
                attempt: lease.attempt
            )
            return try JobRow.require(db, id: lease.jobID)
        }
    }

    public func release(_ lease: Lease, now: Date) async throws -> Job {
        let policy = retryPolicy
        return try writeNow { db in
            try Self.requireLease(db, lease, policy: policy, now: now)
            try Self.endAttempt(db, lease, outcome: .released, error: nil, now: now)
            try db.executeCached(sql: """
                UPDATE jobs SET state = 'queued', progress = 0, lease_holder = NULL, lease_expires_at = NULL,
                    not_before = NULL, updated_at = ?
                WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, lease.jobID.rawValue])
            let job = try JobRow.require(db, id: lease.jobID)
            try SQLiteEvents.appendJob(db, .jobRetried, job, source: lease.holder, attempt: lease.attempt, reason: "released", now: now)
            return job
        }
    }

    public func reclaimExpiredLeases(now: Date) async throws -> [JobID] {
        let policy = retryPolicy
        return try writeNow { db in
            try Self.expireLeases(db, whereSQL: "lease_expires_at < ?", arguments: [now.timeIntervalSince1970], policy: policy, now: now)
        }
    }

    public func reclaimLeases(heldBy holders: [String], now: Date) async throws -> [JobID] {
        guard !holders.isEmpty else { return [] }
        let policy = retryPolicy
        let placeholders = Array(repeating: "?", count: holders.count).joined(separator: ", ")
        return try writeNow { db in
            try Self.expireLeases(db, whereSQL: "lease_holder IN (\(placeholders))", arguments: StatementArguments(holders), policy: policy, now: now)
        }
    }

    public func reclaimAbandonedLeases(heldBy holder: String, running: [JobID], claimedBefore: Date, now: Date) async throws -> [JobID] {
        let policy = retryPolicy
        let leading: [(any DatabaseValueConvertible)?] = [holder, claimedBefore.timeIntervalSince1970]
        let arguments = StatementArguments(leading + running.map(\.rawValue))
        let keep = running.isEmpty ? "" : " AND id NOT IN (\(Array(repeating: "?", count: running.count).joined(separator: ", ")))"
        let condition = """
            lease_holder = ? AND EXISTS (
                SELECT 1 FROM attempts a WHERE a.job_id = jobs.id AND a.token = jobs.lease_token AND a.started_at < ?
            )\(keep)
            """
        return try writeNow { db in
            try Self.expireLeases(db, whereSQL: condition, arguments: arguments, error: .leaseAbandoned, policy: policy, now: now)
        }
    }

    public func nextClaimableTime() async throws -> Date? {
        try readNow { db in
            try Double.fetchOne(db.cachedStatement(sql: "SELECT MIN(COALESCE(not_before, 0)) FROM jobs WHERE state = 'queued'"))
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    public func reset(_ id: JobID, now: Date) async throws -> Job {
        try writeNow { db in
            guard let (job, token) = try JobRow.fetch(db, id: id) else { throw StoreError.jobNotFound(id) }
            switch job.state {
            case .running:
                let lease = Lease(jobID: id, attempt: 0, token: token, holder: job.leaseHolder ?? "", expiresAt: now)
                try Self.endAttempt(db, lease, outcome: .released, error: nil, now: now)
            case .queued:
                break
            case .succeeded, .failed, .cancelled:
                throw StoreError.invalidTransition(id, from: job.state, action: "reset")
            }
            try db.executeCached(sql: """
                UPDATE jobs SET state = 'queued', progress = 0, lease_holder = NULL, lease_expires_at = NULL,
                    not_before = NULL, updated_at = ?
                WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, id.rawValue])
            let reset = try JobRow.require(db, id: id)
            try SQLiteEvents.appendJob(db, .jobRetried, reset, source: "server", reason: "reset", now: now)
            return reset
        }
    }

    public func runningJobs(heldBy holder: String) async throws -> [JobID] {
        try readNow { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM jobs WHERE state = 'running' AND lease_holder = ? ORDER BY seq"), arguments: [holder])
                .map(JobID.init(rawValue:))
        }
    }

    // MARK: - Shared steps, each run inside the caller's write transaction

    /// Verifies the lease is the job's current one (returning the job); reclaims it on the spot if
    /// it has expired.
    @discardableResult
    static func requireLease(_ db: Database, _ lease: Lease, policy: RetryPolicy, now: Date) throws -> Job {
        guard let (job, token) = try JobRow.fetch(db, id: lease.jobID) else {
            throw StoreError.leaseLost(lease.jobID, .cancelled)
        }
        if job.state == .cancelled { throw StoreError.leaseLost(lease.jobID, .cancelled) }
        guard job.state == .running, token == lease.token else { throw StoreError.leaseLost(lease.jobID, .stale) }
        if let expiry = job.leaseExpiresAt, expiry < now {
            try expireLeases(db, whereSQL: "id = ?", arguments: [lease.jobID.rawValue], policy: policy, now: now)
            throw StoreError.leaseLost(lease.jobID, .stale)
        }
        return job
    }

    /// Progress worth an event: every whole percent, and the end. Heartbeats come every second,
    /// and the log should not fill with unchanged figures.
    static func isNotableProgress(from old: Double, to new: Double) -> Bool {
        (new * 100).rounded(.down) != (old * 100).rounded(.down) || (new >= 1 && old < 1)
    }

    /// Ends the running attempts selected by `whereSQL` as expired and re-queues or fails their jobs.
    @discardableResult
    static func expireLeases(
        _ db: Database, whereSQL: String, arguments: StatementArguments, error: JobError = .leaseExpired, policy: RetryPolicy, now: Date
    ) throws -> [JobID] {
        let rows = try db.fetchAllCached(sql: "SELECT id, lease_token, lease_holder FROM jobs WHERE state = 'running' AND \(whereSQL)", arguments: arguments)
        var reclaimed: [JobID] = []
        for row in rows {
            let id = JobID(rawValue: row["id"])
            let lease = Lease(jobID: id, attempt: 0, token: row["lease_token"], holder: row["lease_holder"] ?? "", expiresAt: now)
            try endAttempt(db, lease, outcome: .expired, error: error, now: now)
            try requeueOrFail(db, id: id, error: error, retryable: true, policy: policy, now: now, reason: error.code, source: "server")
            reclaimed.append(id)
        }
        return reclaimed
    }

    /// Re-queues the job after its attempt ended badly, or fails it when it is out of attempts (or
    /// the failure is permanent), recording `job.retried` or `job.failed`.
    static func requeueOrFail(
        _ db: Database, id: JobID, error: JobError, retryable: Bool, policy: RetryPolicy, now: Date, reason: String, source: String,
        attempt: Int? = nil
    ) throws {
        let job = try JobRow.require(db, id: id)
        let used = job.attemptsUsed + 1
        let nowSeconds = now.timeIntervalSince1970
        if retryable && used < job.maxAttempts {
            try db.executeCached(sql: """
                UPDATE jobs SET state = 'queued', attempts_used = ?, progress = 0, lease_holder = NULL, lease_expires_at = NULL,
                    not_before = ?, error_code = ?, error_message = ?, updated_at = ?
                WHERE id = ?
                """, arguments: [used, nowSeconds + policy.delay(afterFailedAttempts: used), error.code, error.message, nowSeconds, id.rawValue])
        } else {
            try db.executeCached(sql: """
                UPDATE jobs SET state = 'failed', attempts_used = ?, lease_holder = NULL, lease_expires_at = NULL,
                    error_code = ?, error_message = ?, finished_at = ?, updated_at = ?
                WHERE id = ?
                """, arguments: [used, error.code, error.message, nowSeconds, nowSeconds, id.rawValue])
        }
        let after = try JobRow.require(db, id: id)
        let data = JobEventData(
            jobId: id, state: after.state, attempt: attempt, holder: job.leaseHolder, error: error,
            reason: after.state == .queued ? reason : nil
        )
        try SQLiteEvents.append(db, .job(after.state == .queued ? .jobRetried : .jobFailed, data, source: source), now: now)
    }

    static func endAttempt(_ db: Database, _ lease: Lease, outcome: Attempt.Outcome, error: JobError?, now: Date) throws {
        try db.executeCached(sql: """
            UPDATE attempts SET outcome = ?, ended_at = ?, error_code = ?, error_message = ?
            WHERE job_id = ? AND token = ? AND outcome = 'running'
            """, arguments: [outcome.rawValue, now.timeIntervalSince1970, error?.code, error?.message, lease.jobID.rawValue, lease.token])
    }
}
