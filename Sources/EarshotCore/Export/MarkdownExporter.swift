/// Renders a transcript as Markdown (`.md`) with YAML front matter, for note-taking tools and
/// static site generators.
public struct MarkdownExporter: Sendable {
    /// A pause longer than this starts a new paragraph: it usually marks a change of speaker or topic.
    public static let paragraphGapSeconds = 2.0
    /// A paragraph that already covers this much audio is closed, so time stamps stay frequent
    /// enough to find a passage in the recording.
    public static let maxParagraphSeconds = 60.0

    public init() {}

    /// Front matter, a `#` heading with the title, then one paragraph per stretch of continuous
    /// speech, each led by the time it starts at.
    public func export(_ t: Transcript, metadata: [String: String] = [:]) -> String {
        var output = "---\n"
        output += "title: \(Self.yamlString(t.title))\n"
        output += "source: \(Self.yamlString(t.source))\n"
        output += "duration: \(Self.yamlString(Timecode.clock(t.durationSeconds)))\n"
        output += "language: \(Self.yamlString(t.language))\n"
        output += "model: \(Self.yamlString(t.model))\n"
        output += "created: \(Self.yamlString(EarshotJSON.formatTimestamp(t.createdAt)))\n"
        // What the job's origin knew (a feed's podcast and episode); keys kept to plain YAML names.
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            output += "\(key): \(Self.yamlString(value))\n"
        }
        output += "---\n\n"
        output += "# \(ExportText.singleLine(t.title) ?? "Transcript")\n"
        for paragraph in Self.paragraphs(t.segments, speakerNames: { ExportText.speakerName(of: $0, in: t) }) {
            let time = "**[\(Timecode.clock(milliseconds: paragraph.start))]**"
            if let speaker = paragraph.speaker {
                output += "\n\(time) **\(Self.escapeMarkdown(speaker)):** \(paragraph.text)\n"
            } else {
                output += "\n\(time) \(paragraph.text)\n"
            }
        }
        return output
    }

    /// A run of consecutive segments rendered as one paragraph; times in milliseconds. With
    /// speakers, a paragraph holds one speaker's words: a change of speaker starts a new one.
    struct Paragraph: Equatable {
        var start: Int
        var end: Int
        var text: String
        var speaker: String?
    }

    /// A name inside `**…**`: characters Markdown would read as emphasis or links are escaped.
    static func escapeMarkdown(_ text: String) -> String {
        var output = ""
        for character in text {
            if "\\`*_[]<>#|".contains(character) { output.append("\\") }
            output.append(character)
        }
        return output
    }

    static func paragraphs(_ segments: [Segment], speakerNames: (Segment) -> String? = { _ in nil }) -> [Paragraph] {
        // Whole milliseconds, so a gap of exactly 2 s is not pushed over the limit by float error.
        let maxGap = Timecode.milliseconds(paragraphGapSeconds)
        let maxSpan = Timecode.milliseconds(maxParagraphSeconds)
        var paragraphs: [Paragraph] = []
        for segment in segments {
            guard let text = ExportText.singleLine(segment.text) else { continue }
            let range = Timecode.cueRange(start: segment.start, end: segment.end)
            let speaker = speakerNames(segment)
            if var last = paragraphs.last, last.speaker == speaker, range.start - last.end <= maxGap, last.end - last.start < maxSpan {
                last.end = max(last.end, range.end)
                last.text += " " + text
                paragraphs[paragraphs.count - 1] = last
            } else {
                paragraphs.append(Paragraph(start: range.start, end: range.end, text: text, speaker: speaker))
            }
        }
        return paragraphs
    }

    /// A double-quoted YAML scalar. Quoting every value keeps titles such as `Q&A: "live"`, `yes`,
    /// `null` or `01:02:03` from being read as mappings, booleans, nulls or sexagesimal numbers.
    public static func yamlString(_ value: String) -> String {
        var output = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": output += "\\\\"
            case "\"": output += "\\\""
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\0": output += "\\0"
            // C0 and C1 controls, DEL, the line/paragraph separators (which YAML treats as line
            // breaks) and the BOM are not allowed raw in a YAML document.
            case "\u{01}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{2028}", "\u{2029}", "\u{FEFF}":
                output += "\\u" + hex4(scalar.value)
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
