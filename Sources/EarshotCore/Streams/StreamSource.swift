import Foundation

/// A configured audio stream (an RTSP camera, an HTTP radio or podcast stream) that the server
/// ingests and transcribes continuously into drafts of session `stream-<id>`.
///
/// `url` holds the credentials needed to connect; it is never shown: outputs use ``maskedURL``.
public struct StreamSource: Sendable, Hashable {
    public var id: String
    public var name: String
    public var url: String
    /// Whether the stream should run: a stopped stream stays stopped across restarts.
    public var enabled: Bool
    /// Seconds without audio after which the ingest counts as stalled and is restarted.
    public var stallTimeoutSeconds: Double
    public var model: String
    public var language: String?
    /// Whether each utterance is labelled with its speaker (``StreamSpeakerTracker``).
    public var diarize: Bool
    public var createdAt: Date

    public init(
        id: String, name: String, url: String, enabled: Bool, stallTimeoutSeconds: Double, model: String, language: String?,
        diarize: Bool = false, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.url = url
        self.enabled = enabled
        self.stallTimeoutSeconds = stallTimeoutSeconds
        self.model = model
        self.language = language
        self.diarize = diarize
        self.createdAt = createdAt
    }

    public var maskedURL: String { URLCredentials.masked(url) }

    /// The draft session its utterances belong to.
    public var sessionId: String { "stream-\(id)" }
}

/// Where a stream's ingest stands right now.
public enum StreamState: String, Codable, Sendable, CaseIterable, Hashable {
    /// Not running, by request.
    case stopped
    /// ffmpeg started; no audio has arrived yet.
    case connecting
    /// Audio is flowing and being transcribed.
    case running
    /// The last run ended (exit, error or stall); waiting out the backoff before the next.
    case retrying
}
