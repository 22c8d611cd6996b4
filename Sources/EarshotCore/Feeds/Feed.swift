import Foundation

/// A subscribed podcast feed and where its polling stands.
public struct Feed: Codable, Sendable, Hashable {
    public var id: String
    public var url: String
    public var title: String
    /// New episodes are downloaded and queued by themselves.
    public var autoQueue: Bool
    /// The model for its jobs; nil: the server's default.
    public var model: String?
    /// Its episodes' jobs also find who speaks when (nil or false: not).
    public var diarize: Bool?
    /// How many of the newest episodes the first poll queues (the rest are recorded, skipped).
    public var backlog: Int
    public var pollIntervalSeconds: Double
    /// Validators of the last answer, sent back so an unchanged feed costs a 304.
    public var etag: String?
    public var lastModified: String?
    public var lastPolledAt: Date?
    public var nextPollAt: Date
    /// Polls that failed in a row; they space the next ones out.
    public var failures: Int
    public var lastError: String?
    public var createdAt: Date

    public init(
        id: String, url: String, title: String, autoQueue: Bool, model: String?, backlog: Int, pollIntervalSeconds: Double, etag: String? = nil,
        lastModified: String? = nil, lastPolledAt: Date? = nil, nextPollAt: Date, failures: Int = 0, lastError: String? = nil, createdAt: Date,
        diarize: Bool? = nil
    ) {
        self.diarize = diarize
        self.id = id
        self.url = url
        self.title = title
        self.autoQueue = autoQueue
        self.model = model
        self.backlog = backlog
        self.pollIntervalSeconds = pollIntervalSeconds
        self.etag = etag
        self.lastModified = lastModified
        self.lastPolledAt = lastPolledAt
        self.nextPollAt = nextPollAt
        self.failures = failures
        self.lastError = lastError
        self.createdAt = createdAt
    }

    /// After `failures` failed polls in a row: 1 min, 5 min, 15 min, 1 h, then 6 h.
    public static func retryDelay(afterFailures failures: Int) -> Double {
        let steps: [Double] = [60, 300, 900, 3600, 21_600]
        return steps[min(max(failures, 1), steps.count) - 1]
    }
}

/// An episode of a feed and what became of it.
public struct FeedEpisode: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable, Hashable {
        /// Recorded, not queued (auto-queue off, or older than the first poll's backlog).
        case skipped
        /// Its audio was fetched and queued as a job.
        case queued
        /// The publisher's transcript was stored instead of transcribing.
        case imported
        /// Queueing or importing failed (`error`).
        case failed
    }

    public var feedId: String
    public var guid: String
    public var title: String
    public var publishedAt: Date?
    public var durationSeconds: Double?
    public var enclosureURL: String?
    public var enclosureType: String?
    /// The enclosure's size in bytes, as the feed declares it.
    public var enclosureLength: Int64?
    public var notes: String?
    public var transcriptURL: String?
    public var transcriptType: String?
    public var state: State
    public var jobId: String?
    public var error: String?
    public var createdAt: Date

    public init(
        feedId: String, guid: String, title: String, publishedAt: Date?, durationSeconds: Double?, enclosureURL: String?, enclosureType: String?,
        notes: String?, transcriptURL: String?, transcriptType: String?, state: State = .skipped, jobId: String? = nil, error: String? = nil,
        createdAt: Date, enclosureLength: Int64? = nil
    ) {
        self.feedId = feedId
        self.guid = guid
        self.title = title
        self.publishedAt = publishedAt
        self.durationSeconds = durationSeconds
        self.enclosureURL = enclosureURL
        self.enclosureType = enclosureType
        self.enclosureLength = enclosureLength
        self.notes = notes
        self.transcriptURL = transcriptURL
        self.transcriptType = transcriptType
        self.state = state
        self.jobId = jobId
        self.error = error
        self.createdAt = createdAt
    }
}

/// What one poll of a feed did.
public struct FeedPollSummary: Codable, Sendable, Hashable {
    /// The feed answered 304: nothing was read.
    public var unchanged: Bool
    public var newEpisodes: Int
    public var queued: Int
    public var imported: Int
    public var failed: Int

    public init(unchanged: Bool, newEpisodes: Int, queued: Int, imported: Int, failed: Int) {
        self.unchanged = unchanged
        self.newEpisodes = newEpisodes
        self.queued = queued
        self.imported = imported
        self.failed = failed
    }
}
