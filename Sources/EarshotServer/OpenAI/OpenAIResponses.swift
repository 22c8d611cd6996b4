import EarshotCore
import Foundation

/// The bodies OpenAI's audio API answers with, as its clients parse them.
enum OpenAIResponses {
    struct Transcription: Encodable {
        var text: String
    }

    struct Verbose: Encodable {
        struct VerboseSegment: Encodable {
            var id: Int
            var seek: Int
            var start: Double
            var end: Double
            var text: String
            var tokens: [Int]
            var temperature: Double
            var avgLogprob: Double
            var compressionRatio: Double
            var noSpeechProb: Double
        }

        struct VerboseWord: Encodable {
            var word: String
            var start: Double
            var end: Double
        }

        var task = "transcribe"
        var language: String
        var duration: Double
        var text: String
        var segments: [VerboseSegment]
        var words: [VerboseWord]?
    }

    /// `transcript.text.delta` / `transcript.text.done`, one per SSE `data:` line.
    struct StreamEvent: Encodable {
        var type: String
        var delta: String?
        var text: String?
    }

    struct ModelList: Encodable {
        struct Model: Encodable {
            var id: String
            var object = "model"
            var created = 0
            var ownedBy = "earshot"
        }

        var object = "list"
        var data: [Model]
    }

    static func text(of transcript: Transcript) -> String {
        transcript.segments.map { $0.text.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    static func verbose(_ transcript: Transcript, words: Bool) -> Verbose {
        Verbose(
            // OpenAI names the language in English words ("english"); clients show it as is.
            language: Locale(identifier: "en").localizedString(forLanguageCode: transcript.language)?.lowercased() ?? transcript.language,
            duration: transcript.durationSeconds, text: text(of: transcript),
            segments: transcript.segments.enumerated().map { index, segment in
                Verbose.VerboseSegment(
                    id: index, seek: 0, start: segment.start, end: segment.end, text: segment.text, tokens: [], temperature: 0,
                    avgLogprob: segment.avgLogprob ?? 0, compressionRatio: 0, noSpeechProb: segment.noSpeechProb ?? 0
                )
            },
            words: words ? transcript.segments.flatMap { $0.words ?? [] }.map {
                Verbose.VerboseWord(word: $0.text.trimmingCharacters(in: .whitespaces), start: $0.start, end: $0.end)
            } : nil
        )
    }
}
