import EarshotCore
import Foundation

/// What a running stream reports about itself: kept in memory by its runner (it describes this
/// process's ffmpeg), shown by the API next to the stored configuration.
struct StreamStatus: Sendable, Hashable {
    var state: StreamState = .stopped
    /// Runs started again after one ended, since the server started the stream.
    var restarts = 0
    /// Runs ended because no audio came for the stall timeout.
    var stalls = 0
    /// Why the last run ended, credentials masked.
    var lastError: String?
    var lastAudioAt: Date?
    /// When the next attempt starts, while `retrying`.
    var retryAt: Date?
    /// Seconds of audio received since the server started the stream.
    var audioSeconds = 0.0
    /// Utterances stored as drafts since the server started the stream.
    var drafts = 0
}
