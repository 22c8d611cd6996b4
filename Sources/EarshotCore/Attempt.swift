import Foundation

/// One claim of a job by a worker, kept for the job's history.
public struct Attempt: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable, Hashable {
        case running, succeeded, failed, expired, released, cancelled
    }

    public var number: Int
    public var holder: String
    public var token: Int64
    public var startedAt: Date
    public var endedAt: Date?
    public var outcome: Outcome
    public var error: JobError?

    public init(number: Int, holder: String, token: Int64, startedAt: Date, endedAt: Date?, outcome: Outcome, error: JobError?) {
        self.number = number
        self.holder = holder
        self.token = token
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.error = error
    }
}
