import EarshotCore
import Foundation

/// The client's first message on `/api/v1/live`.
struct LiveHello: Decodable, Sendable {
    var type: String
    var language: String?
    var model: String?
    /// `f32le` (default) or `s16le`.
    var format: String?
    var sampleRate: Int?
    /// Groups the drafts of several connections (a reconnecting microphone); a new id by default.
    var sessionId: String?
}

/// Text messages a client may send after the hello: only `{"type":"end"}`.
struct LiveControl: Decodable {
    var type: String
}

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

/// Turns the client's PCM bytes into samples, carrying a split sample over to the next message.
struct PCMDecoder: Sendable {
    enum Format: String, Sendable { case f32le, s16le }

    let format: Format
    private var remainder: [UInt8] = []

    init(format: Format) { self.format = format }

    mutating func samples(from bytes: some Collection<UInt8>) -> [Float] {
        var data = remainder
        data.append(contentsOf: bytes)
        let width = format == .f32le ? 4 : 2
        let usable = data.count - data.count % width
        remainder = Array(data[usable...])
        var samples: [Float] = []
        samples.reserveCapacity(usable / width)
        var index = 0
        while index < usable {
            switch format {
            case .f32le:
                let bits = UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
                let value = Float(bitPattern: bits)
                samples.append(value.isFinite ? max(-1, min(1, value)) : 0)
            case .s16le:
                samples.append(Float(Int16(bitPattern: UInt16(data[index]) | UInt16(data[index + 1]) << 8)) / 32768)
            }
            index += width
        }
        return samples
    }
}
