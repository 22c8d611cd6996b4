/// The `data` of an event; its shape follows the event type's family.
public enum EventData: Sendable, Hashable {
    case job(JobEventData)
    case segments(SegmentsEventData)
    case node(NodeEventData)
    case transcript(TranscriptEventData)
    case draft(DraftEventData)
    case plugin(PluginEventData)
    case stream(StreamEventData)
    case audit(AuditEventData)
}

/// `job.*` (except `job.segment`): the job's state after the change, and what changed.
public struct JobEventData: Codable, Sendable, Hashable {
    public var jobId: JobID
    public var state: JobState
    /// The attempt number, for events about one attempt.
    public var attempt: Int?
    /// The lease holder (`node:<id>`, `worker:<n>`), for events a worker caused.
    public var holder: String?
    public var progress: Double?
    public var error: JobError?
    /// Why a job was re-queued: `failed`, `lease_expired`, `lease_abandoned`, `released`, `reset`, `retry`.
    public var reason: String?

    public init(
        jobId: JobID, state: JobState, attempt: Int? = nil, holder: String? = nil, progress: Double? = nil,
        error: JobError? = nil, reason: String? = nil
    ) {
        self.jobId = jobId
        self.state = state
        self.attempt = attempt
        self.holder = holder
        self.progress = progress
        self.error = error
        self.reason = reason
    }
}

/// `job.segment`: text a running attempt has just recognized.
public struct SegmentsEventData: Codable, Sendable, Hashable {
    public var jobId: JobID
    public var firstIndex: Int
    public var segments: [Segment]

    public init(jobId: JobID, firstIndex: Int, segments: [Segment]) {
        self.jobId = jobId
        self.firstIndex = firstIndex
        self.segments = segments
    }
}

/// `node.*`.
public struct NodeEventData: Codable, Sendable, Hashable {
    public var nodeId: String
    public var name: String

    public init(nodeId: String, name: String) {
        self.nodeId = nodeId
        self.name = name
    }
}

/// `transcript.*`. A `transcript.revised` event also names the segment, the revision and the
/// text now shown (which is not the revision's when a higher-ranked one exists).
public struct TranscriptEventData: Codable, Sendable, Hashable {
    public var jobId: JobID
    public var language: String
    public var durationSeconds: Double
    public var segmentCount: Int
    public var segment: Int?
    public var revision: Int?
    public var source: RevisionSource?
    public var text: String?
    /// For `transcript.speakers_changed`: the speaker named, merged or enrolled.
    public var speaker: String?

    public init(
        jobId: JobID, language: String, durationSeconds: Double, segmentCount: Int, segment: Int? = nil, revision: Int? = nil,
        source: RevisionSource? = nil, text: String? = nil, speaker: String? = nil
    ) {
        self.speaker = speaker
        self.jobId = jobId
        self.language = language
        self.durationSeconds = durationSeconds
        self.segmentCount = segmentCount
        self.segment = segment
        self.revision = revision
        self.source = source
        self.text = text
    }
}

/// `draft.*`: an utterance of a live session. `draft.ended` carries the recognizer's text,
/// `draft.revised` the revision and the text now shown.
public struct DraftEventData: Codable, Sendable, Hashable {
    public var draftId: String
    public var sessionId: String?
    public var offsetSeconds: Double?
    public var text: String?
    public var revision: Int?
    public var source: RevisionSource?
    /// Who spoke it (`draft.ended` on a stream that labels speakers, `draft.speaker_changed`).
    public var speaker: String?

    public init(
        draftId: String, sessionId: String? = nil, offsetSeconds: Double? = nil, text: String? = nil, revision: Int? = nil,
        source: RevisionSource? = nil, speaker: String? = nil
    ) {
        self.draftId = draftId
        self.sessionId = sessionId
        self.offsetSeconds = offsetSeconds
        self.text = text
        self.revision = revision
        self.source = source
        self.speaker = speaker
    }
}

/// `plugin.*`.
public struct PluginEventData: Codable, Sendable, Hashable {
    public var plugin: String
    public var message: String

    public init(plugin: String, message: String) {
        self.plugin = plugin
        self.message = message
    }
}

/// `stream.state_changed`: a stream source's ingest changed state (the URL never appears; a
/// message quoting ffmpeg has its credentials masked).
public struct StreamEventData: Codable, Sendable, Hashable {
    public var streamId: String
    public var name: String
    public var state: StreamState
    /// Restarts since the server started the stream.
    public var restarts: Int
    /// When `state` is `retrying`: seconds until the next attempt.
    public var retryInSeconds: Double?
    /// Why the last run ended (ffmpeg's last error line, or the stall).
    public var message: String?

    public init(streamId: String, name: String, state: StreamState, restarts: Int, retryInSeconds: Double? = nil, message: String? = nil) {
        self.streamId = streamId
        self.name = name
        self.state = state
        self.restarts = restarts
        self.retryInSeconds = retryInSeconds
        self.message = message
    }
}

/// `audit.*`: a security-relevant action, who did it and from where.
public struct AuditEventData: Codable, Sendable, Hashable {
    /// `user:<name>` (with ` key:<id>` when a key was used), `admin-token`, `local`, or for a failed
    /// sign-in the name that was tried.
    public var actor: String
    /// What was acted on: `user:<id>`, `key:<id>`, `node:<id>`, `job:<id>`, `feed:<id>`, `stream:<id>`.
    public var target: String?
    /// The client's address.
    public var address: String?
    /// What changed, in a few words (`role member -> admin`, `disabled`).
    public var detail: String?

    public init(actor: String, target: String? = nil, address: String? = nil, detail: String? = nil) {
        self.actor = actor
        self.target = target
        self.address = address
        self.detail = detail
    }
}
