import EarshotCore
import EarshotNode
import EarshotStore
import Foundation
import Hummingbird
import Logging

/// `/api/v1/node`: what a remote node calls with its own key — heartbeat, long-poll claim, media
/// download, progress, and the result. The lease rules are the store's, exactly as for the
/// built-in worker; this layer adds who-may-act-on-which-job.
struct NodeRoutes: Sendable {
    let store: any Store
    let media: MediaStore
    let signal: WorkSignal
    let configuration: ServerConfiguration

    static let maxClaimWaitSeconds = 30.0
    static let maxTranscriptBytes = 64 << 20
    /// The most jobs one `claims` or `completions` request may carry.
    static let maxBatch = 64
    /// Progress reports carry only the segments recognized since the last one.
    static let maxProgressBytes = 8 << 20
    static let maxPartialSegments = 10_000
    /// A job claimed this long before a heartbeat that does not list it was lost by its node
    /// (restart, or a claim answer that never arrived), not merely still on its way.
    static let claimDeliveryGraceSeconds = 10.0

    func register(on group: RouterGroup<some RequestContext>) {
        group.post("node/heartbeat") { request, context in
            let node = try await authenticate(request)
            let heartbeat = try await decodeJSON(NodeHeartbeat.self, from: request, context: context)
            let now = Date()
            let updated = try await store.recordHeartbeat(nodeID: node.id, capabilities: heartbeat.capabilities, now: now)
            let abandoned = try await store.reclaimAbandonedLeases(
                heldBy: updated.leaseHolder, running: heartbeat.runningJobs,
                claimedBefore: now.addingTimeInterval(-Self.claimDeliveryGraceSeconds), now: now
            )
            if !abandoned.isEmpty {
                context.logger.warning("node no longer runs jobs it holds; re-queued", metadata: [
                    "node": "\(node.name)", "job_ids": "\(abandoned.map(\.rawValue).joined(separator: ","))",
                ])
                signal.notify()
            }
            let running = try await store.runningJobs(heldBy: updated.leaseHolder)
            let state = updated.state(now: Date(), heartbeatTimeoutSeconds: configuration.nodeHeartbeatTimeoutSeconds, holdsJobs: !running.isEmpty)
            return try jsonResponse(NodeHeartbeatReply(
                nodeId: updated.id, name: updated.name, state: state, heartbeatIntervalSeconds: configuration.nodeHeartbeatIntervalSeconds
            ))
        }
        group.get("node") { request, _ in
            let node = try await authenticate(request)
            let running = try await store.runningJobs(heldBy: node.leaseHolder)
            let state = node.state(now: Date(), heartbeatTimeoutSeconds: configuration.nodeHeartbeatTimeoutSeconds, holdsJobs: !running.isEmpty)
            return try jsonResponse(NodeHeartbeatReply(
                nodeId: node.id, name: node.name, state: state, heartbeatIntervalSeconds: configuration.nodeHeartbeatIntervalSeconds
            ))
        }
        group.post("node/claim") { request, context in
            let claimed = try await claim(request, context: context, batch: false)
            return try claimed.first.map { try jsonResponse($0) } ?? Response(status: .noContent)
        }
        group.post("node/claims") { request, context in
            let claimed = try await claim(request, context: context, batch: true)
            return claimed.isEmpty ? Response(status: .noContent) : try jsonResponse(ClaimedWorkBatch(claims: claimed))
        }
        group.post("node/completions") { request, context in try await completeAll(request, context: context) }
        group.get("node/jobs/{id}/media") { request, context in try await mediaDownload(request, context: context) }
        group.post("node/jobs/{id}/progress") { request, context in
            let (node, id) = (try await authenticate(request), try JobRoutes.jobID(context))
            let report = try await decodeJSON(ProgressReport.self, from: request, context: context, limit: Self.maxProgressBytes)
            if let partial = report.partial {
                guard partial.firstIndex >= 0, partial.segments.count <= Self.maxPartialSegments else {
                    throw APIError.badRequest(
                        "invalid_partial", "partial.first_index must be >= 0 and at most \(Self.maxPartialSegments) segments sent at once"
                    )
                }
            }
            let lease = try await authorizedLease(node: node, jobID: id, reference: report.lease)
            return try jsonResponse(try await leaseCall {
                try await store.heartbeat(
                    lease, progress: report.progress, partial: report.partial, leaseSeconds: configuration.leaseSeconds, now: Date()
                )
            })
        }
        group.post("node/jobs/{id}/complete") { request, context in
            let (node, id) = (try await authenticate(request), try JobRoutes.jobID(context))
            let report = try await decodeJSON(CompletionReport.self, from: request, context: context, limit: Self.maxTranscriptBytes)
            guard report.transcript.jobID == id else {
                throw APIError.badRequest("job_mismatch", "the transcript belongs to job \(report.transcript.jobID), not \(id)")
            }
            // The store checks the lease's token and holder inside the completion's transaction
            // (`completeAll`), so the job is not read once more beside it.
            let outcomes = try await store.completeAll([try await jobResult(report, node: node)], now: Date())
            switch outcomes.first {
            case .completed(let job):
                context.logger.info("node completed job", metadata: ["job_id": "\(id)", "node": "\(node.name)"])
                return try jsonResponse(JobResponse(job))
            case .rejected(.jobNotFound(let missing)):
                throw APIError.from(StoreError.jobNotFound(missing))
            case .rejected(let error):
                throw Self.leaseError(error)
            case nil:
                throw APIError(.internalServerError, "internal", "the store answered no outcome for the completion")
            }
        }
        group.post("node/jobs/{id}/fail") { request, context in
            let (node, id) = (try await authenticate(request), try JobRoutes.jobID(context))
            let report = try await decodeJSON(FailureReport.self, from: request, context: context)
            let lease = try await authorizedLease(node: node, jobID: id, reference: report.lease)
            let job = try await leaseCall { try await store.fail(lease, error: report.error, retryable: report.retryable, now: Date()) }
            signal.notify()
            return try jsonResponse(JobResponse(job))
        }
        group.post("node/jobs/{id}/release") { request, context in
            let (node, id) = (try await authenticate(request), try JobRoutes.jobID(context))
            let report = try await decodeJSON(ReleaseReport.self, from: request, context: context)
            let lease = try await authorizedLease(node: node, jobID: id, reference: report.lease)
            let job = try await leaseCall { try await store.release(lease, now: Date()) }
            signal.notify()
            return try jsonResponse(JobResponse(job))
        }
        group.delete("node") { request, _ in
            let node = try await authenticate(request)
            try await store.deleteNode(node.id)
            return Response(status: .noContent)
        }
    }

    /// The node a request's key belongs to; 401 for anything else.
    private func authenticate(_ request: Request) async throws -> Node {
        guard let key = NodeKeys.bearerToken(request), key.hasPrefix(NodeKeys.prefix),
              let node = try await store.node(keyHash: NodeKeys.hash(key))
        else { throw NodeKeys.unauthorized }
        return node
    }

    /// Long-poll claim: answered as soon as a job this node can run is queued (with up to the
    /// body's `max` of them for a `batch`), else with nothing after `wait`.
    private func claim(_ request: Request, context: some RequestContext, batch: Bool) async throws -> [ClaimedWork] {
        let node = try await authenticate(request)
        let body = try await decodeJSON(ClaimRequest.self, from: request, context: context)
        let limit = batch ? try Self.claimLimit(body) : 1
        var wait = 25.0
        if let text = request.uri.queryParameters["wait"] {
            guard let value = Double(String(text)), value >= 0, value <= Self.maxClaimWaitSeconds else {
                throw APIError.badRequest("invalid_wait", "wait must be a number of seconds in 0...\(Int(Self.maxClaimWaitSeconds))")
            }
            wait = value
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
        // Waiting nodes take turns (``ChangeSignal/wait(timeout:unlessNotifiedSince:turnPriority:)``):
        // a new job wakes the preferred node only (lower priority value, then the longest waiting),
        // and a node that looks and leaves work behind, or gives up its turn, wakes the next.
        // Waking every idle node for every job cost each of them a claim, a read and a new wait:
        // with 64 idle nodes, ~10 ms of CPU per job before the job's own claim.
        var holdsTurn = false
        defer {
            if holdsTurn { signal.passTurn() }
        }
        var current = node
        while true {
            guard !current.disabled else { break }
            let observed = signal.generation
            let claimed = try await store.claimJobs(
                holder: node.leaseHolder, leaseSeconds: configuration.leaseSeconds, models: body.models, canDiarize: body.diarization ?? false,
                limit: limit, now: Date()
            )
            if !claimed.isEmpty {
                for work in claimed {
                    context.logger.info("node claimed job", metadata: ["job_id": "\(work.job.id)", "node": "\(node.name)"])
                }
                // A turn held now passes on as this returns: more may be queued than were notified
                // (a reset, reclaimed leases), so the next node looks.
                return claimed.map { ClaimedWork(job: $0.job, lease: $0.lease) }
            }
            let remaining = deadline - ContinuousClock.now
            let next = holdsTurn || remaining > .zero ? try await store.nextClaimableTime() : nil
            let now = Date()
            if holdsTurn {
                holdsTurn = false
                // Work this node cannot take (another model, diarization) is someone else's.
                if let next, next <= now { signal.passTurn() }
            }
            guard remaining > .zero else { break }
            var pause = remaining
            if let next, next > now {
                pause = min(pause, .milliseconds(Int64(next.timeIntervalSince(now) * 1000) + 1))
            }
            let wake = await signal.wait(timeout: pause, unlessNotifiedSince: observed, turnPriority: current.priority)
            holdsTurn = wake == .turn
            // Re-read after each wait: a node disabled while it waits gets no more work.
            current = try await store.node(id: node.id)
        }
        return []
    }

    /// Several transcripts in one request, each checked and stored as the single-job route would,
    /// in one store transaction; a result per completion, in order. With a `claim`, the jobs
    /// queued right now for this node come back in the same answer.
    private func completeAll(_ request: Request, context: some RequestContext) async throws -> Response {
        let node = try await authenticate(request)
        let batch = try await decodeJSON(CompletionBatch.self, from: request, context: context, limit: Self.maxTranscriptBytes)
        guard (1...Self.maxBatch).contains(batch.completions.count) else {
            throw APIError.badRequest("invalid_batch", "completions must hold 1...\(Self.maxBatch) transcripts")
        }
        guard Set(batch.completions.map(\.transcript.jobID)).count == batch.completions.count else {
            throw APIError.badRequest("duplicate_job", "each job may appear once in completions")
        }
        let claimLimit = try batch.claim.map { try Self.claimLimit($0) }
        // The store checks each lease's token and holder inside its transaction, which is where
        // the single-job route's separate read of the job would have to be repeated anyway.
        var results: [JobResult] = []
        for report in batch.completions {
            results.append(try await jobResult(report, node: node))
        }
        // A disabled node's transcripts are stored, but it takes no new work.
        let criteria = batch.claim.flatMap { claim in
            node.disabled ? nil : ClaimCriteria(
                holder: node.leaseHolder, leaseSeconds: configuration.leaseSeconds, models: claim.models,
                canDiarize: claim.diarization ?? false, limit: claimLimit ?? 1
            )
        }
        let done: CompletionsAndClaims
        if let criteria {
            done = try await store.completeAll(results, thenClaim: criteria, now: Date())
        } else {
            done = CompletionsAndClaims(outcomes: try await store.completeAll(results, now: Date()), claimed: [])
        }
        let answers = zip(results, done.outcomes).map { result, outcome in
            let id = result.lease.jobID
            switch outcome {
            case .completed:
                context.logger.info("node completed job", metadata: ["job_id": "\(id)", "node": "\(node.name)"])
                return CompletionResult(jobId: id, status: 200)
            case .rejected(let error):
                let apiError = APIError.from(Self.leaseError(error))
                return CompletionResult(jobId: id, status: Int(apiError.status.code), error: .init(code: apiError.code, message: apiError.message))
            }
        }
        for work in done.claimed {
            context.logger.info("node claimed job", metadata: ["job_id": "\(work.job.id)", "node": "\(node.name)"])
        }
        let claims = batch.claim == nil ? nil : done.claimed.map { ClaimedWork(job: $0.job, lease: $0.lease) }
        return try jsonResponse(CompletionResults(results: answers, claims: claims))
    }

    /// A claim body's `max` (1 when absent); 400 outside 1...64.
    private static func claimLimit(_ body: ClaimRequest) throws -> Int {
        guard let max = body.max else { return 1 }
        guard (1...Self.maxBatch).contains(max) else {
            throw APIError.badRequest("invalid_max", "max must be a whole number in 1...\(Self.maxBatch)")
        }
        return max
    }

    /// Streams the job's media to the node holding its lease, honouring `Range: bytes=N-[M]`.
    private func mediaDownload(_ request: Request, context: some RequestContext) async throws -> Response {
        let (node, id) = (try await authenticate(request), try JobRoutes.jobID(context))
        guard let tokenText = request.uri.queryParameters["token"], let token = Int64(String(tokenText)) else {
            throw APIError.badRequest("invalid_token", "the lease token is required as ?token=")
        }
        let job = try await store.job(id)
        try checkHolder(job: job, node: node, token: token)
        return try await MediaFileResponse.make(
            path: media.url(for: job.media.sha256).path, size: Int(job.media.sizeBytes), contentType: "application/octet-stream",
            request: request, context: context
        )
    }

    /// The lease a report refers to, after checking that it is this node's.
    private func authorizedLease(node: Node, jobID: JobID, reference: LeaseReference) async throws -> Lease {
        let job = try await store.job(jobID)
        try checkHolder(job: job, node: node, token: reference.token)
        return Self.lease(jobID: jobID, reference: reference, node: node)
    }

    /// The lease a node's report names, held by that node; the store judges whether it is current.
    private static func lease(jobID: JobID, reference: LeaseReference, node: Node) -> Lease {
        Lease(jobID: jobID, attempt: reference.attempt, token: reference.token, holder: node.leaseHolder, expiresAt: Date())
    }

    /// A delivered transcript as the store takes it: the node's lease on the transcript's job, and
    /// enrolled speakers recognised.
    private func jobResult(_ report: CompletionReport, node: Node) async throws -> JobResult {
        let transcript = try await SpeakerEnrollment.recognizing(report.transcript, store: store, threshold: configuration.speakerMatchThreshold)
        return JobResult(lease: Self.lease(jobID: report.transcript.jobID, reference: report.lease, node: node), transcript: transcript)
    }

    /// 409 when the job moved on (cancelled, finished, re-claimed: the token is stale), 403 when
    /// the token is current but the lease belongs to another node.
    private func checkHolder(job: Job, node: Node, token: Int64) throws {
        if job.state == .cancelled { throw Self.cancelled(job.id) }
        guard job.state == .running, token == job.leaseToken else { throw Self.stale(job.id) }
        guard job.leaseHolder == node.leaseHolder else { throw Self.foreign(job.id) }
    }

    private func leaseCall<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw Self.leaseError(error)
        }
    }

    /// What a lease call's store error means to the node: its lease or job is gone (409), or the
    /// job is another node's (403).
    private static func leaseError(_ error: StoreError) -> any Error {
        switch error {
        case .leaseLost(let id, let loss): loss == .cancelled ? cancelled(id) : stale(id)
        case .jobNotFound(let id): cancelled(id)
        case .leaseHeldByAnother(let id): foreign(id)
        default: error
        }
    }

    static func stale(_ id: JobID) -> APIError {
        APIError(.conflict, "lease_stale", "the lease on job \(id) is no longer current (expired or re-claimed)")
    }

    static func cancelled(_ id: JobID) -> APIError {
        APIError(.conflict, "job_cancelled", "job \(id) was cancelled or deleted")
    }

    static func foreign(_ id: JobID) -> APIError {
        APIError(.forbidden, "forbidden", "job \(id) is leased to another node")
    }
}
