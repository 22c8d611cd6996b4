import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func claimJobs(
        holder: String, leaseSeconds: Double, models: [String]?, canDiarize: Bool, limit: Int, now: Date
    ) async throws -> [ClaimedJob] {
        let policy = retryPolicy
        if let models, models.isEmpty { return [] }
        guard limit > 0 else { return [] }
        let modelFilter = (models == nil ? "" : " AND model = ANY(?)") + (canDiarize ? "" : " AND diarization IS NULL")
        let nowSeconds = now.timeIntervalSince1970
        let claimable = "state = 'queued' AND (not_before IS NULL OR not_before <= ?)\(modelFilter)"
        let claimableArguments: [SQLArgument] = models.map { [nowSeconds, $0] } ?? [nowSeconds]
        // Most claims from idle nodes find nothing; they learn that without a transaction.
        let worthWriting = try await read { session in
            try await session.scalar(Bool.self, """
                SELECT EXISTS (SELECT 1 FROM jobs WHERE \(claimable))
                    OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running' AND lease_expires_at < ?)
                """, claimableArguments + [nowSeconds]) ?? false
        }
        guard worthWriting else { return [] }
        return try await write { session in
            try await Self.expireLeases(session, whereSQL: "lease_expires_at < ?", arguments: [nowSeconds], policy: policy, now: now)
            let expires = nowSeconds + leaseSeconds
            var claimed: [ClaimedJob] = []
            while claimed.count < limit, let job = try await Self.claimOne(
                session, holder: holder, expires: expires, claimable: claimable, arguments: claimableArguments, now: now
            ) {
                claimed.append(job)
            }
            return claimed
        }
    }

    /// Takes the first claimable job, if any, inside the caller's transaction.
    private static func claimOne(
        _ session: PostgresSession, holder: String, expires: Double, claimable: String, arguments claimableArguments: [SQLArgument], now: Date
    ) async throws -> ClaimedJob? {
        let nowSeconds = now.timeIntervalSince1970
        // Pick and take the job in one statement; a job another replica is taking right now is
        // skipped, not waited for, so simultaneous claims each get a different job.
        guard let row = try await session.row("""
            UPDATE jobs SET state = 'running', lease_token = lease_token + 1, lease_holder = ?, lease_expires_at = ?,
                not_before = NULL, progress = 0, updated_at = ?, started_at = COALESCE(started_at, ?)
            WHERE seq = (SELECT seq FROM jobs WHERE \(claimable) ORDER BY priority DESC, seq ASC LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING \(JobRow.columns)
            """, [holder, expires, nowSeconds, nowSeconds] + claimableArguments)
        else { return nil }
        let job = try PostgresJobRow.job(from: row)
        let token = job.leaseToken
        let number = (try await session.scalar(Int.self, "SELECT COALESCE(MAX(number), 0) FROM attempts WHERE job_id = ?", [job.id.rawValue]) ?? 0) + 1
        try await session.execute("""
            INSERT INTO attempts (job_id, number, holder, token, started_at, outcome) VALUES (?, ?, ?, ?, ?, 'running')
            """, [job.id.rawValue, number, holder, token, nowSeconds])
        try session.appendJob(.jobClaimed, job, source: holder, attempt: number, now: now)
        let lease = Lease(jobID: job.id, attempt: number, token: token, holder: holder, expiresAt: Date(timeIntervalSince1970: expires))
        return ClaimedJob(job: job, lease: lease)
    }

    /// One transaction per result, in order, each checked as `complete` is plus the lease's holder.
    public func completeAll(_ results: [JobResult], now: Date) async throws -> [CompletionOutcome] {
        let policy = retryPolicy
        var outcomes: [CompletionOutcome] = []
        for result in results {
            do {
                outcomes.append(.completed(try await write { session in
                    try await Self.complete(session, result.lease, transcript: result.transcript, policy: policy, checkingHolder: true, now: now)
                }))
            } catch let error as StoreError {
                outcomes.append(.rejected(error))
            }
        }
        return outcomes
    }

    public func heartbeat(_ lease: Lease, progress: Double?, partial: PartialSegments?, leaseSeconds: Double, now: Date) async throws -> Lease {
        let policy = retryPolicy
        return try await write { session in
            let before = try await Self.requireLease(session, lease, policy: policy, now: now)
            let expires = now.timeIntervalSince1970 + leaseSeconds
            if let progress {
                try await session.execute("UPDATE jobs SET lease_expires_at = ?, progress = ?, updated_at = ? WHERE id = ?",
                                          [expires, min(max(progress, 0), 1), now.timeIntervalSince1970, lease.jobID.rawValue])
            } else {
                try await session.execute("UPDATE jobs SET lease_expires_at = ? WHERE id = ?", [expires, lease.jobID.rawValue])
            }
            if let progress, SQLiteStore.isNotableProgress(from: before.progress, to: min(max(progress, 0), 1)) {
                try session.appendJob(.jobProgress, try await PostgresJobRow.require(session, id: lease.jobID), source: lease.holder,
                                      attempt: lease.attempt, now: now)
            }
            if let partial, !partial.segments.isEmpty {
                try await PostgresTranscripts.upsertPartial(session, jobID: lease.jobID, token: lease.token, partial)
                try session.append(NewEvent(
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
        return try await write { session in try await Self.complete(session, lease, transcript: transcript, policy: policy, now: now) }
    }

    private static func complete(
        _ session: PostgresSession, _ lease: Lease, transcript: Transcript, policy: RetryPolicy, checkingHolder: Bool = false, now: Date
    ) async throws -> Job {
        let before = try await Self.requireLease(session, lease, policy: policy, now: now)
        if checkingHolder, before.leaseHolder != lease.holder { throw StoreError.leaseHeldByAnother(lease.jobID) }
        let nowSeconds = now.timeIntervalSince1970
        try await PostgresTranscripts.insert(session, transcript)
        if let draftId = before.draftId,
           try await session.scalar(Bool.self, "SELECT true FROM drafts WHERE id = ? FOR UPDATE", [draftId]) != nil {
            _ = try await Self.insertDraftRevision(
                session, draftId, text: transcript.plainText, source: .whisperReprocess, author: transcript.model, now: now
            )
        }
        try await session.execute("""
            UPDATE jobs SET state = 'succeeded', progress = 1, lease_holder = NULL, lease_expires_at = NULL,
                finished_at = ?, updated_at = ?, error_code = NULL, error_message = NULL,
                media_duration = COALESCE(media_duration, ?)
            WHERE id = ?
            """, [nowSeconds, nowSeconds, transcript.durationSeconds, lease.jobID.rawValue])
        try await Self.endAttempt(session, lease, outcome: .succeeded, error: nil, now: now)
        if lease.holder.hasPrefix("node:") {
            try await session.execute("UPDATE nodes SET jobs_done = jobs_done + 1, audio_seconds_done = audio_seconds_done + ? WHERE id = ?",
                                      [transcript.durationSeconds, String(lease.holder.dropFirst("node:".count))])
        }
        let job = try await PostgresJobRow.require(session, id: lease.jobID)
        let succeeded = try session.appendJob(.jobSucceeded, job, source: lease.holder, attempt: lease.attempt, now: now)
        try session.append(NewEvent(
            type: .transcriptCreated, correlationId: job.id.rawValue, causationId: succeeded.id, source: lease.holder,
            data: .transcript(TranscriptEventData(
                jobId: job.id, language: transcript.language, durationSeconds: transcript.durationSeconds, segmentCount: transcript.segments.count
            ))
        ), now: now)
        return job
    }

    public func fail(_ lease: Lease, error: JobError, retryable: Bool, now: Date) async throws -> Job {
        let policy = retryPolicy
        return try await write { session in
            try await Self.requireLease(session, lease, policy: policy, now: now)
            try await Self.endAttempt(session, lease, outcome: .failed, error: error, now: now)
            try await Self.requeueOrFail(
                session, id: lease.jobID, error: error, retryable: retryable, policy: policy, now: now, reason: "failed",
                source: lease.holder, attempt: lease.attempt
            )
            return try await PostgresJobRow.require(session, id: lease.jobID)
        }
    }

    public func release(_ lease: Lease, now: Date) async throws -> Job {
        let policy = retryPolicy
        return try await write { session in
            try await Self.requireLease(session, lease, policy: policy, now: now)
            try await Self.endAttempt(session, lease, outcome: .released, error: nil, now: now)
            try await session.execute("""
                UPDATE jobs SET state = 'queued', progress = 0, lease_holder = NULL, lease_expires_at = NULL,
                    not_before = NULL, updated_at = ?
                WHERE id = ?
                """, [now.timeIntervalSince1970, lease.jobID.rawValue])
            let job = try await PostgresJobRow.require(session, id: lease.jobID)
            try session.appendJob(.jobRetried, job, source: lease.holder, attempt: lease.attempt, reason: "released", now: now)
            return job
        }
    }

    public func reclaimExpiredLeases(now: Date) async throws -> [JobID] {
        let policy = retryPolicy
        return try await write { session in
            try await Self.expireLeases(session, whereSQL: "lease_expires_at < ?", arguments: [now.timeIntervalSince1970], policy: policy, now: now)
        }
    }

    public func reclaimLeases(heldBy holders: [String], now: Date) async throws -> [JobID] {
        guard !holders.isEmpty else { return [] }
        let policy = retryPolicy
        return try await write { session in
            try await Self.expireLeases(session, whereSQL: "lease_holder = ANY(?)", arguments: [holders], policy: policy, now: now)
        }
    }

    public func reclaimAbandonedLeases(heldBy holder: String, running: [JobID], claimedBefore: Date, now: Date) async throws -> [JobID] {
        let policy = retryPolicy
        let condition = """
            lease_holder = ? AND EXISTS (
                SELECT 1 FROM attempts a WHERE a.job_id = jobs.id AND a.token = jobs.lease_token AND a.started_at < ?
            ) AND NOT (id = ANY(?))
            """
        let arguments: [SQLArgument] = [holder, claimedBefore.timeIntervalSince1970, running.map(\.rawValue)]
        return try await write { session in
            try await Self.expireLeases(session, whereSQL: condition, arguments: arguments, error: .leaseAbandoned, policy: policy, now: now)
        }
    }

    public func nextClaimableTime() async throws -> Date? {
        try await read { session in
            try await session.scalar(Double.self, "SELECT MIN(COALESCE(not_before, 0)) FROM jobs WHERE state = 'queued'")
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    public func reset(_ id: JobID, now: Date) async throws -> Job {
        try await write { session in
            guard let (job, token) = try await PostgresJobRow.fetch(session, id: id, lock: true) else { throw StoreError.jobNotFound(id) }
            switch job.state {
            case .running:
                let lease = Lease(jobID: id, attempt: 0, token: token, holder: job.leaseHolder ?? "", expiresAt: now)
                try await Self.endAttempt(session, lease, outcome: .released, error: nil, now: now)
            case .queued:
                break
            case .succeeded, .failed, .cancelled:
                throw StoreError.invalidTransition(id, from: job.state, action: "reset")
            }
            try await session.execute("""
                UPDATE jobs SET state = 'queued', progress = 0, lease_holder = NULL, lease_expires_at = NULL,
                    not_before = NULL, updated_at = ?
                WHERE id = ?
                """, [now.timeIntervalSince1970, id.rawValue])
            let reset = try await PostgresJobRow.require(session, id: id)
            try session.appendJob(.jobRetried, reset, source: "server", reason: "reset", now: now)
            return reset
        }
    }

    public func runningJobs(heldBy holder: String) async throws -> [JobID] {
        try await read { session in
            try await session.rows("SELECT id FROM jobs WHERE state = 'running' AND lease_holder = ? ORDER BY seq", [holder])
                .map { JobID(rawValue: try $0.get(0)) }
        }
    }

    // MARK: - Shared steps, each run inside the caller's transaction

    /// Verifies the lease is the job's current one (returning the job, whose row stays locked
    /// until commit). An expired lease is lost; the job is reclaimed by the next sweep or claim.
    @discardableResult
    static func requireLease(_ session: PostgresSession, _ lease: Lease, policy: RetryPolicy, now: Date) async throws -> Job {
        guard let (job, token) = try await PostgresJobRow.fetch(session, id: lease.jobID, lock: true) else {
            throw StoreError.leaseLost(lease.jobID, .cancelled)
        }
        if job.state == .cancelled { throw StoreError.leaseLost(lease.jobID, .cancelled) }
        guard job.state == .running, token == lease.token else { throw StoreError.leaseLost(lease.jobID, .stale) }
        if let expiry = job.leaseExpiresAt, expiry < now { throw StoreError.leaseLost(lease.jobID, .stale) }
        return job
    }

    /// Ends the running attempts selected by `whereSQL` as expired and re-queues or fails their
    /// jobs. Rows another transaction holds are skipped: it is already deciding about them.
    @discardableResult
    static func expireLeases(
        _ session: PostgresSession, whereSQL: String, arguments: [SQLArgument], error: JobError = .leaseExpired, policy: RetryPolicy,
        now: Date
    ) async throws -> [JobID] {
        let rows = try await session.rows(
            "SELECT id, lease_token, lease_holder FROM jobs WHERE state = 'running' AND \(whereSQL) ORDER BY seq FOR UPDATE SKIP LOCKED", arguments
        )
        var reclaimed: [JobID] = []
        for row in rows {
            let id = JobID(rawValue: try row.get(0))
            let lease = Lease(jobID: id, attempt: 0, token: try row.get(1), holder: try row.get(2, as: String?.self) ?? "", expiresAt: now)
            try await endAttempt(session, lease, outcome: .expired, error: error, now: now)
            try await requeueOrFail(session, id: id, error: error, retryable: true, policy: policy, now: now, reason: error.code, source: "server")
            reclaimed.append(id)
        }
        return reclaimed
    }

    /// Re-queues the job after its attempt ended badly, or fails it when it is out of attempts (or
    /// the failure is permanent), recording `job.retried` or `job.failed`.
    static func requeueOrFail(
        _ session: PostgresSession, id: JobID, error: JobError, retryable: Bool, policy: RetryPolicy, now: Date, reason: String,
        source: String, attempt: Int? = nil
    ) async throws {
        let job = try await PostgresJobRow.require(session, id: id, lock: true)
        let used = job.attemptsUsed + 1
        let nowSeconds = now.timeIntervalSince1970
        if retryable && used < job.maxAttempts {
            try await session.execute("""
                UPDATE jobs SET state = 'queued', attempts_used = ?, progress = 0, lease_holder = NULL, lease_expires_at = NULL,
                    not_before = ?, error_code = ?, error_message = ?, updated_at = ?
                WHERE id = ?
                """, [used, nowSeconds + policy.delay(afterFailedAttempts: used), error.code, error.message, nowSeconds, id.rawValue])
        } else {
            try await session.execute("""
                UPDATE jobs SET state = 'failed', attempts_used = ?, lease_holder = NULL, lease_expires_at = NULL,
                    error_code = ?, error_message = ?, finished_at = ?, updated_at = ?
                WHERE id = ?
                """, [used, error.code, error.message, nowSeconds, nowSeconds, id.rawValue])
        }
        let after = try await PostgresJobRow.require(session, id: id)
        let data = JobEventData(
            jobId: id, state: after.state, attempt: attempt, holder: job.leaseHolder, error: error,
            reason: after.state == .queued ? reason : nil
        )
        try session.append(.job(after.state == .queued ? .jobRetried : .jobFailed, data, source: source), now: now)
    }

    static func endAttempt(_ session: PostgresSession, _ lease: Lease, outcome: Attempt.Outcome, error: JobError?, now: Date) async throws {
        try await session.execute("""
            UPDATE attempts SET outcome = ?, ended_at = ?, error_code = ?, error_message = ?
            WHERE job_id = ? AND token = ? AND outcome = 'running'
            """, [outcome.rawValue, now.timeIntervalSince1970, error?.code, error?.message, lease.jobID.rawValue, lease.token])
    }
}
