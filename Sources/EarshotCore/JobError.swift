/// A machine-readable failure reason carried by a job and by API errors.
public struct JobError: Codable, Sendable, Hashable, Error, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// The input is not media ffmpeg can decode; retrying cannot help.
    public static func unsupportedMedia(_ reason: String) -> JobError {
        JobError(code: "unsupported_media", message: reason)
    }

    /// The engine failed or died mid-run; another attempt may succeed.
    public static func engine(_ reason: String) -> JobError {
        JobError(code: "engine_error", message: reason)
    }

    /// The worker stopped renewing its lease (crashed, hung or lost its connection).
    public static let leaseExpired = JobError(code: "lease_expired", message: "the worker's lease expired before it finished")
    /// The node holding the lease reported, in a heartbeat, that it is not running the job (it
    /// restarted, or never received the claim's answer).
    public static let leaseAbandoned = JobError(code: "lease_abandoned", message: "the node holding the lease no longer runs the job")
}
