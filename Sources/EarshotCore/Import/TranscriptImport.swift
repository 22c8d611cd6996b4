import Foundation

/// Reads the transcript files publishers link from their feeds (`<podcast:transcript>`): SubRip,
/// WebVTT and the Podcasting 2.0 JSON format, into segments, so such an episode is stored without
/// being transcribed.
public enum TranscriptImport {
    public struct Malformed: Error, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// The format a `type` attribute (a MIME type) names, if Earshot reads it.
    public enum Format: String, Sendable, CaseIterable {
        case srt, vtt, json

        public init?(mimeType: String) {
            switch mimeType.lowercased().split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces) }) ?? "" {
            case "application/x-subrip", "application/srt", "text/srt", "text/x-subrip": self = .srt
            case "text/vtt": self = .vtt
            case "application/json": self = .json
            default: return nil
            }
        }
    }

    public static func segments(_ text: String, format: Format) throws(Malformed) -> [Segment] {
        let segments: [Segment]
        switch format {
        case .srt, .vtt: segments = try cues(text, vtt: format == .vtt)
        case .json: segments = try podcastJSON(text)
        }
        guard !segments.isEmpty else { throw Malformed(description: "the transcript has no cues") }
        return segments
    }

    /// SubRip and WebVTT share the shape: blocks separated by blank lines, each with a
    /// `start --> end` line followed by its text.
    private static func cues(_ text: String, vtt: Bool) throws(Malformed) -> [Segment] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if vtt, !normalized.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("WEBVTT") {
            throw Malformed(description: "a WebVTT file starts with WEBVTT")
        }
        var segments: [Segment] = []
        for block in normalized.components(separatedBy: "\n\n") {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            guard let timing = lines.firstIndex(where: { $0.contains("-->") }) else { continue }
            let sides = lines[timing].components(separatedBy: "-->")
            guard sides.count == 2, let start = seconds(sides[0]),
                  let end = seconds(sides[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? "")
            else {
                throw Malformed(description: "a cue's times cannot be read: '\(lines[timing].prefix(80))'")
            }
            let body = lines[(timing + 1)...].joined(separator: " ")
            let words = stripTags(body).trimmingCharacters(in: .whitespaces)
            guard !words.isEmpty else { continue }
            segments.append(Segment(start: start, end: max(start, end), text: words))
        }
        return segments
    }

    /// `HH:MM:SS,mmm`, `HH:MM:SS.mmm` or `MM:SS.mmm`.
    public static func seconds(_ stamp: String) -> Double? {
        let parts = stamp.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".").split(separator: ":")
        guard (2...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (index, part) in parts.enumerated() {
            // Digits only (a fraction on the seconds): Double() alone also reads "1e500" (infinity),
            // "nan" and hexadecimal, none of which is a time.
            let isSeconds = index == parts.count - 1
            guard !part.isEmpty, part.allSatisfy({ $0.isASCII && ($0.isNumber || (isSeconds && $0 == ".")) }),
                  part.filter({ $0 == "." }).count <= 1, part.first != ".", part.last != ".",
                  let value = Double(part)
            else { return nil }
            total = total * 60 + value
        }
        return total.isFinite ? total : nil
    }

    /// `<v Speaker>`, `<i>`, `<c.loud>` and the like are styling, not words.
    private static func stripTags(_ text: String) -> String {
        var result = ""
        var inTag = false
        for character in text {
            if character == "<" { inTag = true } else if character == ">" { inTag = false } else if !inTag { result.append(character) }
        }
        return result.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
    }

    private struct PodcastTranscript: Decodable {
        struct Entry: Decodable {
            var startTime: Double
            var endTime: Double
            var body: String
        }
        var segments: [Entry]
    }

    /// `{"version": "1.0.0", "segments": [{"startTime", "endTime", "body", "speaker"}]}`.
    private static func podcastJSON(_ text: String) throws(Malformed) -> [Segment] {
        do {
            return try JSONDecoder().decode(PodcastTranscript.self, from: Data(text.utf8)).segments.compactMap { entry in
                let words = entry.body.trimmingCharacters(in: .whitespacesAndNewlines)
                return words.isEmpty ? nil : Segment(start: entry.startTime, end: max(entry.startTime, entry.endTime), text: words)
            }
        } catch {
            throw Malformed(description: "not a Podcasting 2.0 JSON transcript: \(error)")
        }
    }
}
