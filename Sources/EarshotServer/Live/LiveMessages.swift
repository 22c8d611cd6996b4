import EarshotCore
import Foundation

/// A segment as live clients see it: times from the start of the session's audio.
struct LiveSegment: Encodable, Sendable {
    var start: Double
    var end: Double
    var text: String
    /// False for a partial (it may still change), true for a final (it never will).
    var completed: Bool
}

/// Everything the server sends on `/api/v1/live`, as `{"type": …}` text messages.
enum LiveServerMessage: Sendable {
    case ready(sessionId: String)
    case partial(draftId: String, segments: [LiveSegment])
    case final(draftId: String, segments: [LiveSegment], text: String)
    case end(drafts: Int)
    case error(code: String, message: String, retryAfterSeconds: Int?)

    private struct Wire: Encodable {
        var type: String
        var sessionId: String?
        var sampleRate: Int?
        var draftId: String?
        var segments: [LiveSegment]?
        var text: String?
        var drafts: Int?
        var code: String?
        var message: String?
        var retryAfterSeconds: Int?
    }

    var json: String {
        let wire = switch self {
        case .ready(let sessionId): Wire(type: "ready", sessionId: sessionId, sampleRate: 16_000)
        case .partial(let draftId, let segments): Wire(type: "partial", draftId: draftId, segments: segments)
        case .final(let draftId, let segments, let text): Wire(type: "final", draftId: draftId, segments: segments, text: text)
        case .end(let drafts): Wire(type: "end", drafts: drafts)
        case .error(let code, let message, let retry): Wire(type: "error", code: code, message: message, retryAfterSeconds: retry)
        }
        return (try? EarshotJSON.encoder().encode(wire)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"type":"error"}"#
    }
}
