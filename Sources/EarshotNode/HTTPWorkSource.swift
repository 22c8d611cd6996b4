import EarshotClient
import EarshotCore
import Foundation
import Logging
import Synchronization

/// Work taken from a remote server over HTTP: a node's source. Runs the same worker loop as the
/// built-in workers; the server identifies the node by its API key, so the holder is not sent.
public struct HTTPWorkSource: WorkSource {
    let client: NodeClient
    let models: [String]?
    let canDiarize: Bool
    let scratchDirectory: URL
    let claimWaitSeconds: Int
    let signal: WorkSignal
    let state = ClaimState()
    let logger: Logger
    /// With several slots, claims and deliveries made at the same time share requests.
    let batching: BatchingNodeClient?

    /// - Parameters:
    ///   - models: the models this node runs; the server only hands out jobs for these (nil: any).
    ///   - canDiarize: whether the node has the speaker model; the server hands out diarization jobs only if so.
    ///   - scratchDirectory: where media is downloaded while its job runs.
    ///   - claimWaitSeconds: how long each claim long-polls the server.
    ///   - slots: how many workers share this source; above one, their simultaneous claims and
    ///     deliveries travel together (``BatchingNodeClient``).
    public init(
        client: NodeClient, models: [String]?, canDiarize: Bool = false, scratchDirectory: URL, claimWaitSeconds: Int = 25,
        slots: Int = 1, signal: WorkSignal = WorkSignal(), logger: Logger = Logger(label: "earshot.node")
    ) {
        self.batching = slots > 1
            ? BatchingNodeClient(client: client, models: models, diarization: canDiarize, waitSeconds: claimWaitSeconds) : nil
        self.client = client
        self.models = models
        self.canDiarize = canDiarize
        self.scratchDirectory = scratchDirectory
        self.claimWaitSeconds = claimWaitSeconds
        self.signal = signal
        self.logger = logger
    }

    public func claim(holder: String) async throws -> ClaimedJob? {
        if let batching { return try await claimTogether(through: batching) }
        let started = ContinuousClock.now
        // Run as its own task so ``wake()`` can cancel a long poll that would hold up shutdown.
        let request = Task { try await client.claim(models: models, diarization: canDiarize, waitSeconds: claimWaitSeconds) }
        let id = state.register(request)
        defer { state.unregister(id) }
        do {
            let work = try await withTaskCancellationHandler {
                try await request.value
            } onCancel: {
                request.cancel()
            }
            return claimed(work, since: started)
        } catch where request.isCancelled {
            state.recordWoken()
            return nil
        } catch {
            state.recordFailure()
            throw error
        }
    }

    /// A claim that shares its request with the other slots' (``wake()`` ends the shared wait).
    private func claimTogether(through batching: BatchingNodeClient) async throws -> ClaimedJob? {
        let started = ContinuousClock.now
        do {
            return claimed(try await batching.claim(), since: started)
        } catch is CancellationError {
            state.recordWoken()
            return nil
        } catch {
            state.recordFailure()
            throw error
        }
    }

    private func claimed(_ work: ClaimedWork?, since started: ContinuousClock.Instant) -> ClaimedJob? {
        let early = ContinuousClock.now - started < .seconds(max(1, claimWaitSeconds - 1))
        state.recordSuccess(emptyPoll: work == nil, returnedEarly: early)
        return work.map { taken(ClaimedJob(job: $0.job, lease: $0.lease)) }
    }

    private func taken(_ claimed: ClaimedJob) -> ClaimedJob {
        // The media route checks the lease token; carry it on the job, which is all
        // ``mediaFile(for:)`` is given.
        var job = claimed.job
        job.leaseToken = claimed.lease.token
        return ClaimedJob(job: job, lease: claimed.lease)
    }

    public func heartbeat(_ lease: Lease, progress: Double?, partial: PartialSegments?) async throws -> Lease {
        try await mapLeaseLoss {
            try await client.progress(
                jobID: lease.jobID, report: ProgressReport(lease: LeaseReference(lease), progress: progress, partial: partial)
            )
        }
    }

    public func complete(_ lease: Lease, transcript: Transcript) async throws {
        let report = CompletionReport(lease: LeaseReference(lease), transcript: transcript)
        try await mapLeaseLoss {
            if let batching {
                try await batching.complete(report)
            } else {
                try await client.complete(jobID: lease.jobID, report: report)
            }
        }
    }

    /// One request delivers the transcript and takes the next job queued right now, if any
    /// (`POST /api/v1/node/completions` with a `claim`; with several slots, shared with the other
    /// slots' deliveries). A job taken while the delivery itself was refused is released at once.
    public func complete(_ lease: Lease, transcript: Transcript, thenClaimFor holder: String) async throws -> ClaimedJob? {
        let report = CompletionReport(lease: LeaseReference(lease), transcript: transcript)
        let delivered: BatchingNodeClient.Delivered
        if let batching {
            delivered = try await batching.complete(report, claimingNext: true)
        } else {
            let answer = try await client.completeAll([report], thenClaim: ClaimRequest(models: models, diarization: canDiarize, max: 1))
            guard let result = answer.results.first else {
                throw EarshotAPIError(status: 502, code: "bad_reply", message: "no result for the completion")
            }
            delivered = BatchingNodeClient.Delivered(result: result, next: answer.claims?.first)
        }
        guard delivered.result.status == 200 else {
            if let next = delivered.next {
                try? await client.release(jobID: next.job.id, report: ReleaseReport(lease: LeaseReference(next.lease)))
            }
            return try await mapLeaseLoss { () -> ClaimedJob? in throw BatchingNodeClient.refusal(delivered.result) }
        }
        return delivered.next.map { taken(ClaimedJob(job: $0.job, lease: $0.lease)) }
    }

    public func fail(_ lease: Lease, error: JobError, retryable: Bool) async throws {
        try await mapLeaseLoss {
            try await client.fail(
                jobID: lease.jobID, report: FailureReport(lease: LeaseReference(lease), error: error, retryable: retryable)
            )
        }
    }

    public func release(_ lease: Lease) async throws {
        try await mapLeaseLoss {
            try await client.release(jobID: lease.jobID, report: ReleaseReport(lease: LeaseReference(lease)))
        }
    }

    /// Downloads the media into the scratch directory, checked against the job's SHA-256.
    public func mediaFile(for job: Job) async throws -> URL {
        let destination = mediaURL(for: job)
        try await mapLeaseLoss {
            try await client.downloadMedia(jobID: job.id, token: job.leaseToken, to: destination, expectedSHA256: job.media.sha256)
        }
        return destination
    }

    public func discardMedia(for job: Job) async {
        try? FileManager.default.removeItem(at: mediaURL(for: job))
    }

    /// After a failed claim (server unreachable) backs off 1, 2, 4 … 30 s; after an empty long
    /// poll returns at once, since the server already waited.
    public func waitForWork(timeout: Duration) async {
        switch state.nextWait() {
        case .none:
            return
        case .idle:
            await signal.wait(timeout: timeout)
        case .backoff(let failures):
            let seconds = min(30, 1 << min(failures - 1, 5))
            await signal.wait(timeout: .seconds(seconds))
        case .throttle:
            // The server answered "nothing" without waiting (a disabled node): don't hammer it.
            await signal.wait(timeout: max(timeout, .seconds(5)))
        }
    }

    public func wake() async {
        state.cancelClaims()
        batching?.wakeClaims()
        signal.notify()
    }

    func mediaURL(for job: Job) -> URL {
        scratchDirectory.appendingPathComponent("media-\(job.id.rawValue)")
    }

    /// The server's 409s become ``LeaseLostError`` so the worker stops instead of reporting.
    private func mapLeaseLoss<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EarshotAPIError where error.status == 409 {
            throw LeaseLostError(error.code == "job_cancelled" ? .cancelled : .stale)
        }
    }
}

/// What the claims so far say about how long the next idle wait should be, shared by all slots.
final class ClaimState: Sendable {
    enum Wait: Sendable {
        case none
        case idle
        case backoff(failures: Int)
        case throttle
    }

    private struct Counters {
        var failures = 0
        var lastWasEmptyPoll = false
        var lastReturnedEarly = false
        var nextID = 0
        var inFlight: [Int: Task<ClaimedWork?, any Error>] = [:]
    }

    private let counters = Mutex(Counters())

    func register(_ task: Task<ClaimedWork?, any Error>) -> Int {
        counters.withLock {
            $0.nextID += 1
            $0.inFlight[$0.nextID] = task
            return $0.nextID
        }
    }

    func unregister(_ id: Int) {
        _ = counters.withLock { $0.inFlight.removeValue(forKey: id) }
    }

    func cancelClaims() {
        let tasks = counters.withLock { Array($0.inFlight.values) }
        tasks.forEach { $0.cancel() }
    }

    func recordSuccess(emptyPoll: Bool, returnedEarly: Bool) {
        counters.withLock {
            $0.failures = 0
            $0.lastWasEmptyPoll = emptyPoll
            $0.lastReturnedEarly = returnedEarly
        }
    }

    func recordFailure() {
        counters.withLock {
            $0.failures += 1
            $0.lastWasEmptyPoll = false
        }
    }

    func recordWoken() {
        counters.withLock { $0.lastWasEmptyPoll = false }
    }

    func nextWait() -> Wait {
        counters.withLock {
            if $0.failures > 0 { return .backoff(failures: $0.failures) }
            if $0.lastWasEmptyPoll { return $0.lastReturnedEarly ? .throttle : .none }
            return .idle
        }
    }
}
