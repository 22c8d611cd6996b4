import EarshotCore
import Foundation

/// Where a worker gets work and reports results. The server's built-in workers use
/// ``LocalWorkSource`` (the store in-process); a remote node implements the same calls over HTTP,
/// so both run exactly the same claim → heartbeat → complete path.
public protocol WorkSource: Sendable {
    func claim(holder: String) async throws -> ClaimedJob?
    /// Renews the lease and reports progress with newly recognized segments; throws when the
    /// lease is lost (cancelled or stale).
    func heartbeat(_ lease: Lease, progress: Double?, partial: PartialSegments?) async throws -> Lease
    func complete(_ lease: Lease, transcript: Transcript) async throws
    /// Delivers the transcript and may take the worker's next job along the way (a remote source
    /// does both in one request); nil when it took none, and the worker claims as usual. A job
    /// returned here is the caller's: it runs it or releases it.
    func complete(_ lease: Lease, transcript: Transcript, thenClaimFor holder: String) async throws -> ClaimedJob?
    func fail(_ lease: Lease, error: JobError, retryable: Bool) async throws
    /// Hands the job back without counting the attempt (shutdown).
    func release(_ lease: Lease) async throws
    /// A local file holding the job's media.
    func mediaFile(for job: Job) async throws -> URL
    /// Called once the job's run ends, however it ends, so temporary media is removed in every
    /// outcome (success, failure, lost lease, shutdown).
    func discardMedia(for job: Job) async
    /// Returns when work may be available, or after `timeout`.
    func waitForWork(timeout: Duration) async
    /// Wakes every worker blocked in ``waitForWork(timeout:)`` (new work, or shutdown).
    func wake() async
}

extension WorkSource {
    /// Delivers only; the worker's next ``claim(holder:)`` finds the next job.
    public func complete(_ lease: Lease, transcript: Transcript, thenClaimFor holder: String) async throws -> ClaimedJob? {
        try await complete(lease, transcript: transcript)
        return nil
    }
}

/// Thrown by a work source when the lease is no longer the worker's to act on.
public struct LeaseLostError: Error, Sendable, Hashable {
    public var loss: LeaseLoss
    public init(_ loss: LeaseLoss) { self.loss = loss }
}
