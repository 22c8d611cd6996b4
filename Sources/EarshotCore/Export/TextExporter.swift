/// Renders a transcript as plain text (`.txt`).
public struct TextExporter: Sendable {
    public init() {}

    /// One segment per line, so the text still lines up with the timed formats when compared side
    /// by side; line breaks inside a segment become spaces to keep that one-to-one.
    public func export(_ t: Transcript) -> String {
        let lines = t.segments.compactMap { ExportText.singleLine($0.text) }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}
