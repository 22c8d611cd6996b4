import Foundation

/// Renders a transcript as WebVTT (`.vtt`) captions, the format browsers' `<track>` element plays.
public struct VTTExporter: Sendable {
    public init() {}

    /// A `WEBVTT` header and one cue per non-empty segment, with the cue text escaped so that
    /// nothing in it is read as markup or as a timing line; a segment's speaker is its cue's voice
    /// (`<v Name>`), which players show and style per speaker.
    public func export(_ t: Transcript) -> String {
        var output = "WEBVTT\n"
        for segment in t.segments {
            guard var lines = ExportText.cueLines(segment.text)?.map(Self.escape) else { continue }
            if let name = ExportText.speakerName(of: segment, in: t) { lines[0] = "<v \(Self.escape(name))>" + lines[0] }
            let range = Timecode.cueRange(start: segment.start, end: segment.end)
            output += "\n\(Timecode.stamp(milliseconds: range.start, separator: ".")) --> \(Timecode.stamp(milliseconds: range.end, separator: "."))\n"
            output += lines.joined(separator: "\n")
            output += "\n"
        }
        return output
    }

    /// Cue text is parsed for tags and entities, and a line containing `-->` would be taken for a
    /// new cue's timing line.
    static func escape(_ text: String) -> String {
        var text = text
        // Repeated because replacing `--->` once leaves a fresh `-->`.
        while text.contains("-->") {
            text = text.replacingOccurrences(of: "-->", with: "->")
        }
        return text
            .replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
