import EarshotCore
import Foundation
import Logging
import NIOCore
import Synchronization
import WSClient

/// A message the server sends on `/api/v1/live`.
public struct LiveMessage: Decodable, Sendable, Hashable {
    public struct Segment: Decodable, Sendable, Hashable {
        public var start: Double
        public var end: Double
        public var text: String
        public var completed: Bool
    }

    /// `ready`, `partial`, `final`, `end` or `error`.
    public var type: String
    public var sessionId: String?
    public var draftId: String?
    public var segments: [Segment]?
    /// A final's text as stored (a revision may already have replaced the recognizer's).
    public var text: String?
    public var drafts: Int?
    public var code: String?
    public var message: String?
    public var retryAfterSeconds: Int?
}

/// What a live session starts with.
public struct LiveSessionOptions: Sendable, Hashable {
    public var model: String?
    public var language: String?
    public var sessionId: String?

    public init(model: String? = nil, language: String? = nil, sessionId: String? = nil) {
        self.model = model
        self.language = language
        self.sessionId = sessionId
    }
}

/// Streams audio to `/api/v1/live` and hands back what the server says.
public enum LiveClient {
    /// Sends the hello, then every chunk of `audio` (16 kHz mono f32le bytes) as it comes, then
    /// `end` when `audio` finishes; calls `onMessage` for each server message until the server
    /// closes the session (after its last final). Returns the server's last message.
    public static func stream(
        to server: URL, options: LiveSessionOptions, audio: AsyncStream<Data>, onMessage: @escaping @Sendable (LiveMessage) -> Void
    ) async throws -> LiveMessage? {
        var components = URLComponents(url: server, resolvingAgainstBaseURL: false)
        components?.scheme = server.scheme == "https" ? "wss" : "ws"
        components?.path = "/api/v1/live"
        guard let url = components?.string else { throw EarshotAPIError(status: 0, code: "invalid_url", message: "\(server) is not a server URL") }
        let hello = Hello(model: options.model, language: options.language, sessionId: options.sessionId)
        let helloJSON = String(decoding: try EarshotJSON.encoder().encode(hello), as: UTF8.self)

        var logger = Logger(label: "earshot.live-client")
        logger.logLevel = .critical
        let last = LastMessage()
        _ = try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
            try await outbound.writeTextMessage(helloJSON)
            // Audio goes out from its own task while this one reads until the server closes: a
            // refused session ends by the server's close alone.
            let writer = Task {
                for await chunk in audio {
                    try await outbound.write(.binary(ByteBuffer(bytes: chunk)))
                }
                try await outbound.writeTextMessage(#"{"type":"end"}"#)
            }
            defer { writer.cancel() }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message, let decoded = try? EarshotJSON.decoder().decode(LiveMessage.self, from: Data(text.utf8)) else {
                    continue
                }
                last.set(decoded)
                onMessage(decoded)
            }
        }
        return last.value
    }
}

private struct Hello: Encodable {
    var type = "hello"
    var model: String?
    var language: String?
    var format = "f32le"
    var sampleRate = 16_000
    var sessionId: String?
}

private final class LastMessage: Sendable {
    private let stored = Mutex<LiveMessage?>(nil)
    var value: LiveMessage? { stored.withLock { $0 } }
    func set(_ message: LiveMessage) { stored.withLock { $0 = message } }
}
