import Foundation

/// One utterance of a live session or stream: its audio, its recognized text and the revisions
/// made to that text since (a better model's, an LLM's, a person's).
public struct Draft: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable, Hashable {
        /// Speech is still arriving.
        case open
        /// The pause came (or the stream ended) and the recognizer's text is final.
        case ended
    }

    public var id: String
    /// The live session or stream the utterance belongs to.
    public var sessionId: String
    public var state: State
    /// Seconds from the start of the session's audio.
    public var offsetSeconds: Double
    public var durationSeconds: Double?
    /// The text shown: the winning revision's, or the recognizer's.
    public var text: String
    /// What the recognizer wrote when the draft ended.
    public var originalText: String?
    public var model: String
    public var language: String?
    public var segments: [Segment]
    /// Whether the utterance's audio (WAV) is stored.
    public var hasAudio: Bool
    public var createdAt: Date
    public var endedAt: Date?
    /// Oldest first.
    public var revisions: [Revision]
    /// The job transcribing the audio again with a better model, when one was queued.
    public var reprocessJobId: String?
    /// Corrections an LLM proposed, oldest first.
    public var suggestions: [DraftSuggestion]
    /// The user whose live session spoke it (absent without accounts, and for stream sources).
    public var ownerId: String?
    /// Who spoke it, on a stream that labels speakers: an enrolled speaker's name or "Speaker N".
    public var speaker: String?

    public init(
        id: String, sessionId: String, state: State, offsetSeconds: Double, durationSeconds: Double?, text: String, originalText: String?,
        model: String, language: String?, segments: [Segment], hasAudio: Bool, createdAt: Date, endedAt: Date?, revisions: [Revision],
        reprocessJobId: String? = nil, suggestions: [DraftSuggestion] = [], ownerId: String? = nil, speaker: String? = nil
    ) {
        self.id = id
        self.sessionId = sessionId
        self.state = state
        self.offsetSeconds = offsetSeconds
        self.durationSeconds = durationSeconds
        self.text = text
        self.originalText = originalText
        self.model = model
        self.language = language
        self.segments = segments
        self.hasAudio = hasAudio
        self.createdAt = createdAt
        self.endedAt = endedAt
        self.revisions = revisions
        self.reprocessJobId = reprocessJobId
        self.suggestions = suggestions
        self.ownerId = ownerId
        self.speaker = speaker
    }
}

/// What a session knows when speech starts.
public struct NewDraft: Sendable, Hashable {
    public var sessionId: String
    public var offsetSeconds: Double
    public var model: String
    public var language: String?
    /// The signed-in user running the session; nil for stream sources and servers without accounts.
    public var ownerId: String?

    public init(sessionId: String, offsetSeconds: Double, model: String, language: String?, ownerId: String? = nil) {
        self.ownerId = ownerId
        self.sessionId = sessionId
        self.offsetSeconds = offsetSeconds
        self.model = model
        self.language = language
    }
}

/// The recognizer's result for an utterance.
public struct DraftResult: Sendable, Hashable {
    public var durationSeconds: Double
    public var language: String?
    public var segments: [Segment]
    /// The WAV file kept with the draft, if any.
    public var hasAudio: Bool
    /// Who spoke the utterance, when the stream labels speakers.
    public var speaker: String?

    public init(durationSeconds: Double, language: String?, segments: [Segment], hasAudio: Bool, speaker: String? = nil) {
        self.durationSeconds = durationSeconds
        self.language = language
        self.segments = segments
        self.hasAudio = hasAudio
        self.speaker = speaker
    }

    /// The segments' texts joined.
    public var text: String {
        segments.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
