import EarshotCore
import Foundation

/// Operations a worker uses to take and finish work. Remote nodes reach the same operations
/// through the HTTP API, so queue semantics live in exactly one place: the store.
///
/// Every call that acts on a lease checks its fencing token; a stale or cancelled lease throws
/// ``StoreError/leaseLost(_:_:)`` and changes nothing.
public protocol JobQueue: Sendable {
    /// Atomically takes up to `limit` of the best queued jobs (highest priority, then oldest) whose
    /// backoff has elapsed and whose model is in `models` (`nil`: any model), first re-queueing any
    /// job whose lease expired; empty when nothing is claimable. All are taken in one transaction,
    /// each with its own lease, attempt and `job.claimed` event, exactly as if claimed one by one.
    /// A worker that cannot tell speakers apart (`canDiarize` false: no speaker model installed)
    /// is never handed a job that asks for diarization.
    func claimJobs(holder: String, leaseSeconds: Double, models: [String]?, canDiarize: Bool, limit: Int, now: Date) async throws -> [ClaimedJob]

    /// Extends the lease and records progress and any newly recognized segments. Throws
    /// `leaseLost(.cancelled)` when the job was cancelled or deleted, so the worker stops its
    /// engine run.
    func heartbeat(_ lease: Lease, progress: Double?, partial: PartialSegments?, leaseSeconds: Double, now: Date) async throws -> Lease

    /// Stores the transcript and marks the job succeeded, in one transaction.
    func complete(_ lease: Lease, transcript: Transcript, now: Date) async throws -> Job

    /// Completes each result as ``complete(_:transcript:now:)`` would, independently: a result
    /// whose lease was lost is rejected with the error `complete` would throw, one whose lease
    /// names another holder than the job's with ``StoreError/leaseHeldByAnother(_:)``, and the
    /// others still succeed. Outcomes are in the order of `results`. A store may commit them
    /// together.
    func completeAll(_ results: [JobResult], now: Date) async throws -> [CompletionOutcome]

    /// ``completeAll(_:now:)``, then a claim as ``claimJobs(holder:leaseSeconds:models:canDiarize:limit:now:)``
    /// would make it with `claim`, whatever the outcomes: a worker delivering its results and
    /// taking its next work. A store may do both in one transaction (SQLite does); the default
    /// makes the two calls.
    func completeAll(_ results: [JobResult], thenClaim claim: ClaimCriteria, now: Date) async throws -> CompletionsAndClaims

    /// Ends the attempt as failed. A retryable failure with attempts left re-queues the job after
    /// the retry policy's backoff; otherwise the job fails with `error`.
    func fail(_ lease: Lease, error: JobError, retryable: Bool, now: Date) async throws -> Job

    /// Gives the job back untouched (graceful shutdown): re-queued at once, the attempt not counted.
    func release(_ lease: Lease, now: Date) async throws -> Job

    /// Re-queues (or fails, when out of attempts) every running job whose lease has expired.
    func reclaimExpiredLeases(now: Date) async throws -> [JobID]

    /// Treats every lease held by the given holders as expired, whatever its expiry: used at
    /// start-up for the previous process's built-in workers, which are known to be dead.
    func reclaimLeases(heldBy holders: [String], now: Date) async throws -> [JobID]

    /// Ends, as abandoned, the leases `holder` holds on jobs other than `running` whose current
    /// attempt began before `claimedBefore`, and re-queues (or fails) those jobs. A node's
    /// heartbeat lists what it runs; a job it holds but no longer lists was lost (the node
    /// restarted, or never got the claim's answer) and need not wait for its lease to expire.
    /// `claimedBefore` leaves room for a claim whose answer is still on its way.
    func reclaimAbandonedLeases(heldBy holder: String, running: [JobID], claimedBefore: Date, now: Date) async throws -> [JobID]

    /// The earliest time a queued job becomes claimable, if any job is queued.
    func nextClaimableTime() async throws -> Date?

    /// Puts a stuck job back in the queue at once: a running job's attempt ends as released (not
    /// counted), a queued job's backoff is cleared.
    func reset(_ id: JobID, now: Date) async throws -> Job

    /// Jobs whose current lease is held by `holder`.
    func runningJobs(heldBy holder: String) async throws -> [JobID]
}

/// Registered transcriber nodes. Keys are stored only as hashes.
public protocol NodeRegistry: Sendable {
    func createNode(_ node: Node, keyHash: String) async throws -> Node
    func node(id: String) async throws -> Node
    /// The node a key belongs to, or `nil` for an unknown or revoked key.
    func node(keyHash: String) async throws -> Node?
    func nodes() async throws -> [Node]
    /// Records a heartbeat; the first one after registration or after the node went offline
    /// appends `node.online`.
    func recordHeartbeat(nodeID: String, capabilities: NodeCapabilities, now: Date) async throws -> Node
    /// Marks nodes silent since `silentSince` as offline, appending `node.offline` for each that
    /// was online; returns their ids.
    func markSilentNodesOffline(silentSince: Date, now: Date) async throws -> [String]
    func setNodeDisabled(_ id: String, disabled: Bool) async throws -> Node
    func deleteNode(_ id: String) async throws
}

/// Utterances of live sessions and streams, with ranked revisions of their text.
public protocol DraftStore: Sendable {
    /// Records that speech started; appends `draft.started`.
    func startDraft(_ draft: NewDraft, now: Date) async throws -> Draft
    /// Records the recognizer's final text; appends `draft.ended`. A revision made meanwhile keeps
    /// its place: the shown text is still the winner's.
    func endDraft(_ id: String, result: DraftResult, now: Date) async throws -> Draft
    /// Records a revision and shows the winner (``Revision/winner(of:)``); appends `draft.revised`.
    func reviseDraft(_ id: String, text: String, source: RevisionSource, author: String?, now: Date) async throws -> Draft
    /// Renames a speaker on one session's drafts: each draft labelled `from`, and its segments,
    /// take `to`, and each appends `draft.speaker_changed`. A stream voice recognised as an
    /// enrolled speaker after some of its utterances were stored calls this. Returns the drafts
    /// changed, oldest first.
    func renameDraftSpeaker(sessionId: String, from: String, to: String, now: Date) async throws -> [Draft]
    func draft(_ id: String) async throws -> Draft
    /// Newest first, optionally of one session and/or one owner; `cursor` is a previous page's `nextCursor`.
    func drafts(sessionId: String?, ownedBy ownerId: String?, limit: Int, cursor: String?) async throws -> DraftPage
    /// Stores an LLM's correction of `baseText` (the draft's text it saw) as word changes,
    /// pending a person's decision; appends `draft.suggested`. Nothing is stored when the LLM
    /// changed nothing.
    func addSuggestion(_ draftId: String, baseText: String, text: String, model: String, now: Date) async throws -> Draft
    /// Applies the pending suggestion's changes numbered `changes` (0-based; nil: all) to its base
    /// text as one revision from `source`, and marks it applied, in one transaction. Throws
    /// ``StoreError/suggestionNotFound(_:_:)``, ``StoreError/suggestionDecided(_:_:)`` or
    /// ``StoreError/invalidChanges(_:)``.
    func applySuggestion(
        _ draftId: String, number: Int, changes: [Int]?, source: RevisionSource, author: String?, now: Date
    ) async throws -> Draft
    /// Marks a pending suggestion dismissed.
    func dismissSuggestion(_ draftId: String, number: Int, by author: String?, now: Date) async throws -> Draft
}

/// Configured stream sources. What a stream does at run time (state, restarts) is not stored:
/// the server that runs it reports that.
public protocol StreamStore: Sendable {
    /// Throws ``StoreError/duplicateStreamName(_:)`` when the name is taken.
    func createStream(_ stream: StreamSource) async throws -> StreamSource
    func stream(_ id: String) async throws -> StreamSource
    /// All streams, oldest first.
    func streams() async throws -> [StreamSource]
    func setStreamEnabled(_ id: String, enabled: Bool) async throws -> StreamSource
    /// Removes the stream; its drafts stay.
    func deleteStream(_ id: String) async throws
}

/// Files a watched folder already turned into jobs, so a restart (or a file that could not be
/// moved away) never queues one twice.
public protocol WatchedFileLedger: Sendable {
    /// Whether a file with this key (path, size and modification time) was already queued.
    func isWatchedFileRecorded(_ key: String) async throws -> Bool
    func recordWatchedFile(_ key: String, jobId: JobID, now: Date) async throws
}

/// Subscribed podcast feeds and their episodes.
public protocol FeedStore: Sendable {
    /// Throws ``StoreError/duplicateFeed(_:)`` for a URL already subscribed.
    func createFeed(_ feed: Feed) async throws -> Feed
    func feed(_ id: String) async throws -> Feed
    /// Oldest first.
    func feeds() async throws -> [Feed]
    /// Removes the feed and its episode records; jobs it queued stay.
    func deleteFeed(_ id: String) async throws
    /// Saves a poll's outcome: validators, title, schedule, failure count and error.
    func updateFeed(_ feed: Feed) async throws
    /// Records episodes not seen before (by guid) and returns those, in the order given.
    func addEpisodes(_ episodes: [FeedEpisode]) async throws -> [FeedEpisode]
    func setEpisodeOutcome(feedId: String, guid: String, state: FeedEpisode.State, jobId: JobID?, error: String?) async throws
    /// Newest first.
    func episodes(ofFeed id: String) async throws -> [FeedEpisode]
    /// Stores a transcript that exists already (a publisher's) as a job that succeeded, with its
    /// `job.created`, `job.succeeded` and `transcript.created` events.
    func importTranscript(_ job: NewJob, transcript: Transcript, now: Date) async throws -> Job
}

/// A page of drafts, newest first.
public struct DraftPage: Sendable, Hashable {
    public var drafts: [Draft]
    public var nextCursor: String?

    public init(drafts: [Draft], nextCursor: String?) {
        self.drafts = drafts
        self.nextCursor = nextCursor
    }
}

/// Everything Earshot persists. Implemented by ``SQLiteStore``; a PostgreSQL store implements the
/// same protocol and passes the same conformance tests.
public protocol Store: JobQueue, NodeRegistry, DraftStore, StreamStore, WatchedFileLedger, FeedStore, AccountStore, SpeakerStore {
    func createJob(_ newJob: NewJob, now: Date) async throws -> Job
    func job(_ id: JobID) async throws -> Job
    func jobs(_ query: JobQuery) async throws -> JobPage
    func attempts(of id: JobID) async throws -> [Attempt]
    func cancel(_ id: JobID, now: Date) async throws -> Job
    /// Re-queues a failed or cancelled job with a fresh set of attempts; refused with
    /// ``StoreError/mediaRemoved(_:)`` once its media is gone.
    func retry(_ id: JobID, now: Date) async throws -> Job
    /// Removes the job with its attempts and transcript. The caller removes the media when
    /// `mediaStillReferenced` is false.
    func delete(_ id: JobID) async throws -> DeletedJob
    func transcript(of id: JobID) async throws -> Transcript?
    /// Records a revision of segment `index` (0-based) of the job's transcript and makes the
    /// winning revision (``Revision/winner(of:)``) the segment's text, which search and exports
    /// then use; the recognizer's text stays as the original. Appends `transcript.revised`.
    func reviseSegment(_ id: JobID, index: Int, text: String, source: RevisionSource, author: String?, now: Date) async throws -> RevisedSegment
    /// Segment `index` of the job's transcript with its revisions.
    func revisedSegment(_ id: JobID, index: Int) async throws -> RevisedSegment
    /// The current attempt's partial segments, in order (empty when it has sent none).
    func partialSegments(of id: JobID) async throws -> [Segment]
    func stateCounts() async throws -> [JobState: Int]
    /// Jobs that succeeded since `since`, and the audio they covered.
    func throughput(since: Date) async throws -> (jobs: Int, audioSeconds: Double)
    /// Seconds of audio transcribed in each of the last `hours` hours before `now`, oldest first.
    func hourlyThroughput(hours: Int, now: Date) async throws -> [Double]
    /// Full-text search over stored transcripts' segments, best match first, `limit` per page.
    func searchTranscripts(_ terms: SearchTerms, limit: Int, cursor: String?) async throws -> SearchPage
    /// Whether any job still uses the media with this content hash (jobs whose media was removed
    /// by retention do not count).
    func isMediaReferenced(_ sha256: String) async throws -> Bool
    /// Content hashes whose every job finished before `finishedBefore` and whose media is not yet
    /// removed: what the cleanup plugin may delete.
    func mediaDueForRemoval(finishedBefore: Date, limit: Int) async throws -> [String]
    /// Atomically checks that every job of `sha256` finished before `finishedBefore` and marks
    /// their media removed. Returns false (and changes nothing) when one is queued, running,
    /// retried or finished since: the file is in use and must stay. Each job gets a
    /// `job.media_removed` event from `source`.
    func markMediaRemoved(_ sha256: String, finishedBefore: Date, source: String, now: Date) async throws -> Bool
    /// Events with `seq` greater than `after`, of the types `filter` admits (and, if given, of
    /// one job or draft), oldest first, at most `limit`.
    func events(after seq: Int64, filter: EventTypeFilter, correlationId: String?, limit: Int) async throws -> [Event]
    /// The newest event of `type` correlated with `correlationId`, if any.
    func latestEvent(type: EventType, correlationId: String) async throws -> Event?
    /// Appends an event that records no state change of the store's own (one a client published);
    /// returns it stamped with `seq`, `id` and `time`.
    func appendEvent(_ event: NewEvent, now: Date) async throws -> Event
    /// The highest `seq` in the log (0 when empty).
    func latestEventSeq() async throws -> Int64
    /// The lowest `seq` still in the log, if any: a reader behind it has missed pruned events.
    func oldestEventSeq() async throws -> Int64?
    /// Deletes events older than `olderThan`, and the oldest beyond the newest `keepingAtMost`.
    /// Returns how many were deleted.
    func pruneEvents(olderThan: Date, keepingAtMost: Int) async throws -> Int
    /// Where a plugin's event cursor stands (the seq of the last event it handled), nil if new.
    func pluginCursor(_ plugin: String) async throws -> Int64?
    func setPluginCursor(_ plugin: String, seq: Int64) async throws
    /// Notified after every commit that appended events, for readers waiting for new ones.
    var eventSignal: ChangeSignal { get }
    /// Notified after every commit that queued a job (created, retried, released, reset), by any
    /// process sharing the store: what wakes waiting claims on a replica other than the one that
    /// queued it. A store that cannot tell returns ``eventSignal``.
    var queuedWorkSignal: ChangeSignal { get }
    /// Proves the store accepts writes (readiness probe).
    func checkWritable() async throws
    /// Runs `body` only while this process holds `role` among all processes sharing the store,
    /// waiting its turn; returns when `body` does. Work that must happen once however many
    /// replicas run (plugins, polling) goes through here. If the role is lost (this process lost
    /// its database connection, and another took over), `body` is cancelled and the wait resumes.
    func whileLeading(_ role: String, _ body: @escaping @Sendable () async throws -> Void) async throws
}

/// A page of jobs, newest first.
public struct JobQuery: Sendable, Hashable {
    public var states: Set<JobState>
    public var limit: Int
    /// Opaque cursor from a previous page's `nextCursor`.
    public var cursor: String?
    /// Only jobs created at or after this time.
    public var createdFrom: Date?
    /// Only jobs created before this time.
    public var createdBefore: Date?
    /// Only jobs this user owns or that are shared with them.
    public var visibleTo: String?

    public init(
        states: Set<JobState> = [], limit: Int = 50, cursor: String? = nil, createdFrom: Date? = nil, createdBefore: Date? = nil,
        visibleTo: String? = nil
    ) {
        self.visibleTo = visibleTo
        self.states = states
        self.limit = limit
        self.cursor = cursor
        self.createdFrom = createdFrom
        self.createdBefore = createdBefore
    }
}

public struct JobPage: Sendable, Hashable {
    public var jobs: [Job]
    /// Pass as `cursor` to get the next page; `nil` on the last page.
    public var nextCursor: String?

    public init(jobs: [Job], nextCursor: String?) {
        self.jobs = jobs
        self.nextCursor = nextCursor
    }
}

public struct DeletedJob: Sendable, Hashable {
    public var job: Job
    public var mediaStillReferenced: Bool

    public init(job: Job, mediaStillReferenced: Bool) {
        self.job = job
        self.mediaStillReferenced = mediaStillReferenced
    }
}

/// Errors every store reports in the same way, so the API maps them to the same statuses.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case jobNotFound(JobID)
    case leaseLost(JobID, LeaseLoss)
    /// The lease's token is the job's current one, but another holder took it.
    case leaseHeldByAnother(JobID)
    /// The action is not allowed in the job's current state (e.g. cancelling a finished job).
    case invalidTransition(JobID, from: JobState, action: String)
    case invalidCursor(String)
    case nodeNotFound(String)
    case duplicateNodeName(String)
    case mediaRemoved(JobID)
    /// The job exists but has no transcript (it has not succeeded).
    case transcriptNotFound(JobID)
    case segmentNotFound(JobID, index: Int)
    case draftNotFound(String)
    case streamNotFound(String)
    case suggestionNotFound(String, Int)
    /// The suggestion was already applied or dismissed.
    case suggestionDecided(String, Int)
    case invalidChanges(String)
    case feedNotFound(String)
    case duplicateFeed(String)
    case duplicateStreamName(String)
    case userNotFound(String)
    case duplicateUsername(String)
    case apiKeyNotFound(String)
    /// The job is not shared with that user.
    case shareNotFound(JobID, String)
    /// The transcript has no speaker with that id.
    case speakerNotFound(JobID, String)
    case enrolledSpeakerNotFound(String)
    case duplicateSpeakerName(String)
    /// The change would leave the server without an administrator.
    case lastAdmin

    public var description: String {
        switch self {
        case .jobNotFound(let id): "job \(id) not found"
        case .leaseLost(let id, let loss): "lease on job \(id) lost (\(loss.rawValue))"
        case .leaseHeldByAnother(let id): "job \(id) is leased to another holder"
        case .invalidTransition(let id, let from, let action): "cannot \(action) job \(id): it is \(from.rawValue)"
        case .invalidCursor(let cursor): "invalid cursor \(cursor)"
        case .nodeNotFound(let id): "node \(id) not found"
        case .duplicateNodeName(let name): "a node named '\(name)' is already registered"
        case .mediaRemoved(let id): "the media of job \(id) was removed by the retention policy; upload it again"
        case .transcriptNotFound(let id): "job \(id) has no transcript"
        case .segmentNotFound(let id, let index): "the transcript of job \(id) has no segment \(index)"
        case .draftNotFound(let id): "draft \(id) not found"
        case .streamNotFound(let id): "stream \(id) not found"
        case .suggestionNotFound(let id, let number): "draft \(id) has no suggestion \(number)"
        case .suggestionDecided(let id, let number): "suggestion \(number) of draft \(id) was already applied or dismissed"
        case .invalidChanges(let reason): reason
        case .feedNotFound(let id): "feed \(id) not found"
        case .duplicateFeed(let url): "\(url) is already subscribed"
        case .duplicateStreamName(let name): "a stream named '\(name)' already exists"
        case .userNotFound(let id): "user \(id) not found"
        case .duplicateUsername(let name): "a user named '\(name)' already exists"
        case .apiKeyNotFound(let id): "API key \(id) not found"
        case .shareNotFound(let id, let user): "job \(id) is not shared with user \(user)"
        case .speakerNotFound(let id, let speaker): "the transcript of job \(id) has no speaker \(speaker)"
        case .enrolledSpeakerNotFound(let id): "enrolled speaker \(id) not found"
        case .duplicateSpeakerName(let name): "a speaker named '\(name)' is already enrolled"
        case .lastAdmin: "the server must keep at least one admin"
        }
    }
}

extension Store {
    public var queuedWorkSignal: ChangeSignal { eventSignal }
}

extension DraftStore {
    /// Newest first, whoever owns them.
    public func drafts(sessionId: String?, limit: Int, cursor: String?) async throws -> DraftPage {
        try await drafts(sessionId: sessionId, ownedBy: nil, limit: limit, cursor: cursor)
    }
}

/// A finished job's transcript, with the lease it was made under.
public struct JobResult: Sendable {
    public var lease: Lease
    public var transcript: Transcript

    public init(lease: Lease, transcript: Transcript) {
        self.lease = lease
        self.transcript = transcript
    }
}

/// What became of one result of ``JobQueue/completeAll(_:now:)``.
public enum CompletionOutcome: Sendable {
    /// Stored; the job as it now is (succeeded).
    case completed(Job)
    /// Not stored, for the reason ``JobQueue/complete(_:transcript:now:)`` would have thrown.
    case rejected(StoreError)
}

/// Who claims, and which jobs it may take: the arguments of
/// ``JobQueue/claimJobs(holder:leaseSeconds:models:canDiarize:limit:now:)``.
public struct ClaimCriteria: Sendable, Hashable {
    public var holder: String
    public var leaseSeconds: Double
    /// Only jobs for these models (nil: any).
    public var models: [String]?
    public var canDiarize: Bool
    public var limit: Int

    public init(holder: String, leaseSeconds: Double, models: [String]?, canDiarize: Bool, limit: Int) {
        self.holder = holder
        self.leaseSeconds = leaseSeconds
        self.models = models
        self.canDiarize = canDiarize
        self.limit = limit
    }
}

/// What ``JobQueue/completeAll(_:thenClaim:now:)`` did: an outcome per result, in order, and the
/// jobs claimed after them.
public struct CompletionsAndClaims: Sendable {
    public var outcomes: [CompletionOutcome]
    public var claimed: [ClaimedJob]

    public init(outcomes: [CompletionOutcome], claimed: [ClaimedJob]) {
        self.outcomes = outcomes
        self.claimed = claimed
    }
}

extension JobQueue {
    public func completeAll(_ results: [JobResult], thenClaim claim: ClaimCriteria, now: Date) async throws -> CompletionsAndClaims {
        let outcomes = try await completeAll(results, now: now)
        let claimed = try await claimJobs(
            holder: claim.holder, leaseSeconds: claim.leaseSeconds, models: claim.models, canDiarize: claim.canDiarize, limit: claim.limit, now: now
        )
        return CompletionsAndClaims(outcomes: outcomes, claimed: claimed)
    }

    /// Takes the best claimable job, if any: ``claimJobs(holder:leaseSeconds:models:canDiarize:limit:now:)`` with a limit of one.
    public func claimNext(holder: String, leaseSeconds: Double, models: [String]?, canDiarize: Bool, now: Date) async throws -> ClaimedJob? {
        try await claimJobs(holder: holder, leaseSeconds: leaseSeconds, models: models, canDiarize: canDiarize, limit: 1, now: now).first
    }

    /// Claims any job, diarization included.
    public func claimNext(holder: String, leaseSeconds: Double, models: [String]?, now: Date) async throws -> ClaimedJob? {
        try await claimNext(holder: holder, leaseSeconds: leaseSeconds, models: models, canDiarize: true, now: now)
    }

    /// Extends the lease and records progress, without segments.
    public func heartbeat(_ lease: Lease, progress: Double?, leaseSeconds: Double, now: Date) async throws -> Lease {
        try await heartbeat(lease, progress: progress, partial: nil, leaseSeconds: leaseSeconds, now: now)
    }
}
