import Foundation

/// The client's first message on `/api/v1/live`, and what the server makes of it. Pure, so the
/// text a client sends can be fuzzed without a server.
public struct LiveHello: Decodable, Sendable {
    public var type: String
    public var language: String?
    public var model: String?
    /// `f32le` (default) or `s16le`.
    public var format: String?
    public var sampleRate: Int?
    /// Groups the drafts of several connections (a reconnecting microphone); a new id by default.
    public var sessionId: String?

    /// What a valid hello settles for the session.
    public struct Settings: Sendable, Hashable {
        public var sessionId: String
        public var options: TranscriptionOptions
        public var format: PCMDecoder.Format
    }

    /// Reads and checks the hello text: `model` one of `allowedModels` (`defaultModel` when absent),
    /// 16 kHz only, a language tag, a session id of name characters (a new one when absent).
    public static func settings(
        from text: String, allowedModels: [String], defaultModel: String, newSessionId: () -> String = { UUID().uuidString.lowercased() }
    ) throws(LiveProtocolError) -> Settings {
        guard let hello = try? EarshotJSON.decoder().decode(LiveHello.self, from: Data(text.utf8)), hello.type == "hello" else {
            throw LiveProtocolError("invalid_hello", "start with {\"type\":\"hello\",\"model\":…,\"language\":…,\"format\":\"f32le\"|\"s16le\",\"sample_rate\":16000}")
        }
        guard hello.sampleRate ?? 16_000 == 16_000 else {
            throw LiveProtocolError("invalid_hello", "sample_rate must be 16000 (resample on the client; ffmpeg -ar 16000 -ac 1)")
        }
        guard let format = PCMDecoder.Format(rawValue: hello.format ?? "f32le") else {
            throw LiveProtocolError("invalid_hello", "format must be f32le or s16le")
        }
        let model = hello.model ?? defaultModel
        guard allowedModels.contains(model) else {
            throw LiveProtocolError("unknown_model", "model must be one of \(allowedModels.joined(separator: ", "))")
        }
        if let language = hello.language, !InputRules.isLanguageTag(language) {
            throw LiveProtocolError("invalid_hello", "language must be a code such as en or pt-BR")
        }
        let sessionId = hello.sessionId ?? newSessionId()
        guard InputRules.isName(sessionId) else {
            throw LiveProtocolError("invalid_hello", "session_id must be 1-64 letters, digits, '-', '_' or '.'")
        }
        let options = TranscriptionOptions(model: model, language: hello.language, beamSize: 1, wordTimestamps: false)
        return Settings(sessionId: sessionId, options: options, format: format)
    }

    /// Whether a text message after the hello is the end of the stream (`{"type":"end"}`), the only
    /// one a client may send.
    public static func isEndMessage(_ text: String) -> Bool {
        struct Control: Decodable { var type: String }
        return (try? JSONDecoder().decode(Control.self, from: Data(text.utf8)))?.type == "end"
    }
}

/// A refusal on the live protocol, with the code the client is told.
public struct LiveProtocolError: Error, Sendable, Hashable {
    public var code: String
    public var message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Turns the client's PCM bytes into samples, carrying a split sample over to the next message.
public struct PCMDecoder: Sendable {
    public enum Format: String, Sendable, Hashable { case f32le, s16le }

    public let format: Format
    private var remainder: [UInt8] = []

    public init(format: Format) { self.format = format }

    /// Samples in -1...1; a float that is not finite becomes silence.
    public mutating func samples(from bytes: some Collection<UInt8>) -> [Float] {
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

    /// Bytes held back because they are less than one sample.
    public var pendingBytes: Int { remainder.count }
}
