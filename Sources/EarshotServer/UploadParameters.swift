import EarshotCore
import Foundation

/// The job options a client may send with an upload (form fields or query parameters), validated.
struct UploadParameters: Sendable {
    var model: String
    var language: String?
    var priority: Int
    var wordTimestamps: Bool
    var beamSize: Int
    var prompt: String?
    var temperature: Double?
    var diarization: DiarizationOptions?

    static let priorityRange = -100...100

    /// Validates raw text fields; unknown fields are rejected so typos don't pass silently.
    static func parse(_ fields: [String: String], configuration: ServerConfiguration) throws -> UploadParameters {
        let known: Set<String> = [
            "model", "language", "priority", "word_timestamps", "beam_size", "filename", "prompt", "temperature", "diarize", "min_speakers",
            "max_speakers",
        ]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.badRequest("unknown_field", "unknown field '\(unknown)'; accepted: \(known.sorted().joined(separator: ", "))")
        }
        var parameters = UploadParameters(
            model: configuration.model, language: nil, priority: 0, wordTimestamps: false, beamSize: configuration.beamSize
        )
        if let model = fields["model"], !model.isEmpty {
            guard configuration.allowedModels.contains(model) || model == configuration.model else {
                throw APIError.badRequest("unknown_model", "model '\(model)' is not available; choose one of: \(allowedModels(configuration))")
            }
            parameters.model = model
        }
        if let language = fields["language"]?.lowercased(), !language.isEmpty, language != "auto" {
            guard (2...3).contains(language.count), language.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw APIError.badRequest("invalid_language", "language must be an ISO 639-1 code such as 'en', or 'auto'")
            }
            parameters.language = language
        }
        if let text = fields["priority"], !text.isEmpty {
            guard let priority = Int(text), priorityRange.contains(priority) else {
                throw APIError.badRequest("invalid_priority", "priority must be an integer in \(priorityRange.lowerBound)...\(priorityRange.upperBound)")
            }
            parameters.priority = priority
        }
        if let text = fields["word_timestamps"], !text.isEmpty {
            guard let flag = parseBool(text) else {
                throw APIError.badRequest("invalid_word_timestamps", "word_timestamps must be true or false")
            }
            parameters.wordTimestamps = flag
        }
        if let text = fields["beam_size"], !text.isEmpty {
            guard let beam = Int(text), (1...10).contains(beam) else {
                throw APIError.badRequest("invalid_beam_size", "beam_size must be an integer in 1...10")
            }
            parameters.beamSize = beam
        }
        if let prompt = fields["prompt"]?.trimmingCharacters(in: .whitespacesAndNewlines), !prompt.isEmpty {
            guard prompt.count <= maxPromptLength else {
                throw APIError.badRequest("invalid_prompt", "prompt is at most \(maxPromptLength) characters")
            }
            parameters.prompt = prompt
        }
        if let text = fields["temperature"], !text.isEmpty {
            guard let temperature = Double(text), (0...1).contains(temperature) else {
                throw APIError.badRequest("invalid_temperature", "temperature must be a number in 0...1")
            }
            parameters.temperature = temperature
        }
        parameters.diarization = try diarization(fields)
        return parameters
    }

    /// `diarize=true` with optional `min_speakers` / `max_speakers`; bounds without `diarize` are an
    /// error (they would silently do nothing).
    static func diarization(_ fields: [String: String]) throws -> DiarizationOptions? {
        var diarize = false
        if let text = fields["diarize"], !text.isEmpty {
            guard let flag = parseBool(text) else { throw APIError.badRequest("invalid_diarize", "diarize must be true or false") }
            diarize = flag
        }
        func count(_ name: String) throws -> Int? {
            guard let text = fields[name], !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw APIError.badRequest("invalid_speakers", "\(name) must be an integer") }
            return value
        }
        let (minimum, maximum) = (try count("min_speakers"), try count("max_speakers"))
        guard diarize else {
            if minimum != nil || maximum != nil { throw APIError.badRequest("invalid_speakers", "min_speakers and max_speakers need diarize=true") }
            return nil
        }
        do {
            return try DiarizationOptions(minSpeakers: minimum, maxSpeakers: maximum).validated()
        } catch {
            throw APIError.badRequest("invalid_speakers", error.description)
        }
    }

    /// Whisper reads at most 224 prompt tokens; a thousand characters is comfortably more.
    static let maxPromptLength = 1000

    var options: TranscriptionOptions {
        TranscriptionOptions(
            model: model, language: language, beamSize: beamSize, wordTimestamps: wordTimestamps, prompt: prompt, temperature: temperature,
            diarization: diarization
        )
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off": false
        default: nil
        }
    }

    private static func allowedModels(_ configuration: ServerConfiguration) -> String {
        Array(Set(configuration.allowedModels + [configuration.model])).sorted().joined(separator: ", ")
    }

    /// A display name safe to store and echo: no path, no control characters, bounded length.
    static func sanitizedFilename(_ raw: String?) -> String {
        let base = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(base.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.map(Character.init))
            .trimmingCharacters(in: .whitespaces)
        let bounded = String(cleaned.prefix(255))
        return bounded.isEmpty || bounded == "." || bounded == ".." ? "upload" : bounded
    }
}
