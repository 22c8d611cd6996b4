/// Renders a transcript as plain text (`.txt`).
public struct TextExporter: Sendable {
    public init() {}

    /// One segment per line, so the text still lines up with the timed formats when compared side
    /// by side; line breaks inside a segment become spaces to keep that one-to-one. With speakers,
    /// each line starts with the speaker's name.
    public func export(_ t: Transcript) -> String {
        let lines = t.segments.compactMap { segment -> String? in
            guard let text = ExportText.singleLine(segment.text) else { return nil }
            return ExportText.speakerName(of: segment, in: t).map { "\($0): \(text)" } ?? text
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}
