import EarshotCore
import Foundation

/// The JSON-lines protocol spoken with `faster_whisper_worker.py`: one JSON object per line,
/// requests on the worker's stdin, replies on its stdout.
enum EngineProtocol {
    struct TranscribeRequest: Encodable {
        let op = "transcribe"
        var id: String
        var audio: String
        var model: String
        var language: String?
        var beamSize: Int
        var wordTimestamps: Bool
        var initialPrompt: String?
        var temperature: Double?
        /// Sent only for fitted windows (`fit_window`, `provisional`), so a standard request
        /// reads as it always did.
        var fitWindow: Bool?
        var provisional: Bool?
    }

    struct CancelRequest: Encodable {
        let op = "cancel"
        var id: String
    }

    struct ShutdownRequest: Encodable {
        let op = "shutdown"
    }

    /// Every reply shares one shape; which fields are set depends on `type`.
    struct Reply: Decodable {
        var type: String
        var id: String?
        var code: String?
        var message: String?
        var language: String?
        var duration: Double?
        var start: Double?
        var end: Double?
        var text: String?
        var avgLogprob: Double?
        var noSpeechProb: Double?
        var words: [Word]?
        var progress: Double?
    }

    static func encode(_ request: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var data = try encoder.encode(request)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    static func decode(_ line: String) throws -> Reply {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Reply.self, from: Data(line.utf8))
    }
}
