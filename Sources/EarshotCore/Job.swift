import Foundation

/// A transcription job as the queue and the API see it.
public struct Job: Codable, Sendable, Hashable {
    public var id: JobID
    public var state: JobState
    /// Higher runs first; equal priorities run in submission order.
    public var priority: Int
    public var options: TranscriptionOptions
    public var media: MediaInfo
    /// Fraction of the audio transcribed by the current attempt, 0...1.
    public var progress: Double
    /// Attempts that ended in failure or an expired lease; released attempts do not count.
    public var attemptsUsed: Int
    public var maxAttempts: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// A queued job is not claimed before this time (retry backoff).
    public var notBefore: Date?
    public var lastError: JobError?
    /// Who holds the lease while running.
    public var leaseHolder: String?
    public var leaseExpiresAt: Date?
    /// The fencing token of the latest claim; a lease is current only with this token.
    public var leaseToken: Int64
    /// Set for a reprocess job: the live draft whose audio it transcribes again with a better
    /// model; its result becomes that draft's WHISPER_REPROCESS revision.
    public var draftId: String?
    /// What the job's origin knows about the recording (a feed's podcast and episode), carried
    /// into exports' front matter. Absent (not empty) when there is none, so older peers' JSON reads.
    public var metadata: [String: String]?
    /// The user who submitted the job; absent for jobs made before accounts, on a server without
    /// accounts, or by the server itself (feeds, watched folders, streams).
    public var ownerId: String?

    public init(
        id: JobID, state: JobState, priority: Int, options: TranscriptionOptions, media: MediaInfo,
        progress: Double = 0, attemptsUsed: Int = 0, maxAttempts: Int, createdAt: Date, updatedAt: Date,
        startedAt: Date? = nil, finishedAt: Date? = nil, notBefore: Date? = nil, lastError: JobError? = nil,
        leaseHolder: String? = nil, leaseExpiresAt: Date? = nil, leaseToken: Int64 = 0, draftId: String? = nil,
        metadata: [String: String]? = nil, ownerId: String? = nil
    ) {
        self.id = id
        self.state = state
        self.priority = priority
        self.options = options
        self.media = media
        self.progress = progress
        self.attemptsUsed = attemptsUsed
        self.maxAttempts = maxAttempts
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.notBefore = notBefore
        self.lastError = lastError
        self.leaseHolder = leaseHolder
        self.leaseExpiresAt = leaseExpiresAt
        self.leaseToken = leaseToken
        self.draftId = draftId
        self.metadata = metadata
        self.ownerId = ownerId
    }
}

/// What a client supplies to create a job; the store fills in the rest.
public struct NewJob: Sendable, Hashable {
    public var id: JobID
    public var priority: Int
    public var options: TranscriptionOptions
    public var media: MediaInfo
    public var maxAttempts: Int
    /// The draft a reprocess job improves.
    public var draftId: String?
    /// See ``Job/metadata``.
    public var metadata: [String: String]
    /// See ``Job/ownerId``.
    public var ownerId: String?

    public init(
        id: JobID = .generate(), priority: Int = 0, options: TranscriptionOptions, media: MediaInfo, maxAttempts: Int, draftId: String? = nil,
        metadata: [String: String] = [:], ownerId: String? = nil
    ) {
        self.ownerId = ownerId
        self.id = id
        self.priority = priority
        self.options = options
        self.media = media
        self.maxAttempts = maxAttempts
        self.draftId = draftId
        self.metadata = metadata
    }
}
