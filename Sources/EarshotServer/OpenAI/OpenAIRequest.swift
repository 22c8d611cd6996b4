import EarshotCore
import Foundation

/// The form fields of `POST /v1/audio/transcriptions`, checked and mapped onto a job's options.
struct OpenAIRequest: Sendable {
    enum ResponseFormat: String, Sendable, CaseIterable {
        case json, text, srt, vtt
        case verboseJSON = "verbose_json"
    }

    var parameters: UploadParameters
    var format: ResponseFormat
    var stream: Bool
    var words: Bool

    /// OpenAI's model name; clients written for its API send it, so it means the server's default.
    static let openAIModel = "whisper-1"
    /// Ahead of everything queued through the native API: a client is waiting on the answer.
    static let priority = 100

    /// Fields this API defines but Earshot has no use for are accepted and ignored, so clients
    /// that send them (`include[]`, `chunking_strategy`) work unchanged.
    static func parse(_ fields: [String: String], configuration: ServerConfiguration) throws -> OpenAIRequest {
        var native: [String: String] = [:]
        if let model = fields["model"], !model.isEmpty, model != openAIModel { native["model"] = model }
        for key in ["language", "prompt", "temperature"] { native[key] = fields[key] }
        let granularities = (fields["timestamp_granularities[]"] ?? fields["timestamp_granularities"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard granularities.allSatisfy({ $0 == "word" || $0 == "segment" }) else {
            throw APIError.badRequest("invalid_timestamp_granularities", "timestamp_granularities[] must be word and/or segment")
        }
        native["word_timestamps"] = granularities.contains("word") ? "true" : "false"
        var parameters = try UploadParameters.parse(native, configuration: configuration)
        parameters.priority = priority
        let formatName = fields["response_format"].flatMap { $0.isEmpty ? nil : $0 } ?? "json"
        guard let format = ResponseFormat(rawValue: formatName) else {
            throw APIError.badRequest(
                "invalid_response_format", "response_format must be one of \(ResponseFormat.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let stream: Bool
        if let text = fields["stream"], !text.isEmpty {
            guard let flag = UploadParameters.parseBool(text) else { throw APIError.badRequest("invalid_stream", "stream must be true or false") }
            stream = flag
        } else {
            stream = false
        }
        return OpenAIRequest(parameters: parameters, format: format, stream: stream, words: granularities.contains("word"))
    }
}
