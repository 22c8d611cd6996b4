import Foundation

/// How far a job's owner lets another user in: `read` shows the job, its transcript and media,
/// and finds it in search; `edit` also lets them correct the transcript. Cancelling, retrying,
/// deleting and sharing stay with the owner (and admins).
public enum ShareAccess: String, Codable, Sendable, CaseIterable, Hashable {
    case read
    case edit
}

/// A job shared with a user.
public struct JobShare: Codable, Sendable, Hashable {
    public var jobId: JobID
    public var userId: String
    public var username: String
    public var access: ShareAccess
    public var createdAt: Date

    public init(jobId: JobID, userId: String, username: String, access: ShareAccess, createdAt: Date) {
        self.jobId = jobId
        self.userId = userId
        self.username = username
        self.access = access
        self.createdAt = createdAt
    }
}
