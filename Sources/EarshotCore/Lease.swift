import Foundation

/// The right to work on one job for a bounded time.
///
/// `token` is a fencing token: every claim of a job gets a larger one, and the store accepts a
/// heartbeat or result only with the token of the current attempt, so a worker that lost its lease
/// (paused, partitioned, presumed dead) can never overwrite the work of the one that replaced it.
public struct Lease: Codable, Sendable, Hashable {
    public var jobID: JobID
    public var attempt: Int
    public var token: Int64
    public var holder: String
    public var expiresAt: Date

    private enum CodingKeys: String, CodingKey {
        // `jobId`, not `jobID`: snake_case encoding writes `job_id`, which decodes back to `jobId`.
        case jobID = "jobId"
        case attempt, token, holder, expiresAt
    }

    public init(jobID: JobID, attempt: Int, token: Int64, holder: String, expiresAt: Date) {
        self.jobID = jobID
        self.attempt = attempt
        self.token = token
        self.holder = holder
        self.expiresAt = expiresAt
    }
}

/// A job handed to a worker together with its lease.
public struct ClaimedJob: Sendable, Hashable {
    public var job: Job
    public var lease: Lease

    public init(job: Job, lease: Lease) {
        self.job = job
        self.lease = lease
    }
}

/// Why a lease holder may no longer act on its job.
public enum LeaseLoss: String, Sendable, Codable, Hashable {
    /// The job was cancelled; the worker should stop its engine run.
    case cancelled
    /// The lease expired or the job was claimed again: the token is stale.
    case stale
}
