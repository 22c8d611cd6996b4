import Foundation

/// Renders a transcript as pretty-printed JSON (`.json`), in the same snake_case dialect as the API,
/// so `EarshotJSON.decoder()` reads it back.
public struct JSONExporter: Sendable {
    public init() {}

    /// The whole transcript, segments and words included. Optional figures the engine did not
    /// report are omitted rather than written as `null`, as everywhere else in the API.
    public func export(_ t: Transcript) -> String {
        // JSON has no NaN or infinity and JSONEncoder throws on them; an export must not fail
        // because one confidence figure was degenerate.
        let sanitized = Self.sanitized(t)
        guard let data = try? EarshotJSON.encoder(pretty: true).encode(sanitized) else {
            // Unreachable once every Double is finite; the other fields always encode.
            return "{}\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func sanitized(_ t: Transcript) -> Transcript {
        var t = t
        // Voice embeddings are for recognising speakers, not for readers of a transcript.
        t.speakers = t.speakers.map { speaker in
            var speaker = speaker
            speaker.embedding = nil
            speaker.speechSeconds = finite(speaker.speechSeconds)
            return speaker
        }
        t.durationSeconds = finite(t.durationSeconds)
        t.processingSeconds = finite(t.processingSeconds)
        t.segments = t.segments.map { segment in
            var segment = segment
            segment.start = finite(segment.start)
            segment.end = finite(segment.end)
            segment.avgLogprob = segment.avgLogprob.flatMap(finiteOrNil)
            segment.noSpeechProb = segment.noSpeechProb.flatMap(finiteOrNil)
            segment.words = segment.words?.map { word in
                var word = word
                word.start = finite(word.start)
                word.end = finite(word.end)
                word.probability = word.probability.flatMap(finiteOrNil)
                return word
            }
            return segment
        }
        return t
    }

    private static func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
    private static func finiteOrNil(_ value: Double) -> Double? { value.isFinite ? value : nil }
}
