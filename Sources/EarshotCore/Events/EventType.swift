import Foundation

/// Every kind of event Earshot records. The raw value is the wire name; the part before the
/// dot is the family, which decides the shape of the event's `data`.
public enum EventType: String, Codable, Sendable, CaseIterable, Hashable {
    case jobCreated = "job.created"
    case jobClaimed = "job.claimed"
    case jobProgress = "job.progress"
    case jobSegment = "job.segment"
    case jobSucceeded = "job.succeeded"
    case jobFailed = "job.failed"
    case jobCancelled = "job.cancelled"
    /// Re-queued for another attempt: after a retryable failure, an expired or abandoned lease,
    /// a release at shutdown, a reset, or a manual retry (`data.reason` says which).
    case jobRetried = "job.retried"
    case jobDeleted = "job.deleted"
    /// The job's media file was deleted by the `cleanup` plugin's retention (`data.reason`).
    case jobMediaRemoved = "job.media_removed"
    case nodeRegistered = "node.registered"
    case nodeOnline = "node.online"
    case nodeOffline = "node.offline"
    case transcriptCreated = "transcript.created"
    case transcriptRevised = "transcript.revised"
    /// A transcript's speaker was named, merged into another, or enrolled (`data.speaker`).
    case transcriptSpeakersChanged = "transcript.speakers_changed"
    /// An utterance of a live session or a stream source began / was transcribed.
    case draftStarted = "draft.started"
    case draftEnded = "draft.ended"
    /// A revision of a draft's text (`data.source` says whose; `data.text` is what is now shown).
    case draftRevised = "draft.revised"
    /// An LLM proposed a correction (`data.text`), waiting for a person to approve or dismiss it.
    case draftSuggested = "draft.suggested"
    /// A draft's speaker was renamed (`data.speaker`): a stream voice first labelled "Speaker N"
    /// was recognised as an enrolled speaker, and its earlier drafts take the name.
    case draftSpeakerChanged = "draft.speaker_changed"
    case pluginFailed = "plugin.failed"
    /// A stream source's ingest changed state (`data.state`; `retrying` carries the backoff).
    case streamStateChanged = "stream.state_changed"
    /// The audit log (admins only): who signed in or failed to, who created, changed, revoked or
    /// deleted users, keys, nodes, jobs, feeds and streams.
    case auditLogin = "audit.login"
    case auditLoginFailed = "audit.login_failed"
    case auditLogout = "audit.logout"
    case auditUserCreated = "audit.user_created"
    case auditUserUpdated = "audit.user_updated"
    case auditUserDeleted = "audit.user_deleted"
    case auditKeyCreated = "audit.key_created"
    case auditKeyRevoked = "audit.key_revoked"
    case auditNodeChanged = "audit.node_changed"
    case auditDeleted = "audit.deleted"
    case auditJobShared = "audit.job_shared"

    /// `job`, `node`, `transcript`, `draft`, `plugin`, `stream` or `audit`.
    public var family: String { String(rawValue.prefix { $0 != "." }) }
}

/// Which event types a subscriber wants: `job.*,node.online` style patterns.
public struct EventTypeFilter: Sendable, Hashable {
    /// Exact types wanted.
    public private(set) var types: Set<EventType> = []
    /// Families wanted whole (`job.*`).
    public private(set) var families: Set<String> = []

    /// Everything.
    public static let all = EventTypeFilter(families: Set(EventType.allCases.map(\.family)))

    private init(families: Set<String>) { self.families = families }

    /// Exactly these types.
    public init(types: Set<EventType>) { self.types = types }

    /// Parses a comma-separated list of `family.*`, exact type names or `*` (an empty list means
    /// everything); throws on the first pattern that matches no event type.
    public init(parsing text: String) throws(EventFilterError) {
        for raw in text.split(separator: ",") {
            let pattern = raw.trimmingCharacters(in: .whitespaces)
            if pattern.isEmpty { continue }
            if pattern == "*" {
                self = .all
                return
            }
            if pattern.hasSuffix(".*") {
                let family = String(pattern.dropLast(2))
                guard EventType.allCases.contains(where: { $0.family == family }) else { throw EventFilterError(pattern: pattern) }
                families.insert(family)
            } else if let type = EventType(rawValue: pattern) {
                types.insert(type)
            } else {
                throw EventFilterError(pattern: pattern)
            }
        }
        if types.isEmpty && families.isEmpty { self = .all }
    }

    public func matches(_ type: EventType) -> Bool {
        types.contains(type) || families.contains(type.family)
    }

    /// This filter without one family's types (what a caller may not see).
    public func excluding(family: String) -> EventTypeFilter {
        EventTypeFilter(types: Set(matchingTypes.filter { $0.family != family }))
    }

    /// The matching types, for a store query.
    public var matchingTypes: [EventType] { EventType.allCases.filter(matches) }
}

/// A type pattern that names no event type.
public struct EventFilterError: Error, Sendable, Hashable, CustomStringConvertible {
    public var pattern: String
    public var description: String {
        "'\(pattern)' matches no event type; use a family (job.*, node.*, transcript.*, draft.*, plugin.*, stream.*, audit.*) or an exact type such as job.succeeded"
    }
}
