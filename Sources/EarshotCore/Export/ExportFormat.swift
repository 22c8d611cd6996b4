import Foundation

/// The file formats a transcript can be downloaded as.
public enum ExportFormat: String, CaseIterable, Sendable, Codable {
    case json, srt, vtt, txt, md

    /// The `Content-Type` to serve the rendered text with.
    public var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .srt: "application/x-subrip; charset=utf-8"
        case .vtt: "text/vtt; charset=utf-8"
        case .txt: "text/plain; charset=utf-8"
        case .md: "text/markdown; charset=utf-8"
        }
    }

    /// The extension, without a dot, for a download's file name.
    public var fileExtension: String { rawValue }

    /// Renders `transcript` in `format`.
    /// `metadata` (a job's, e.g. a feed's podcast and episode) goes into Markdown's front matter.
    public static func render(_ transcript: Transcript, as format: ExportFormat, metadata: [String: String] = [:]) -> String {
        switch format {
        case .json: JSONExporter().export(transcript)
        case .srt: SRTExporter().export(transcript)
        case .vtt: VTTExporter().export(transcript)
        case .txt: TextExporter().export(transcript)
        case .md: MarkdownExporter().export(transcript, metadata: metadata)
        }
    }
}

/// Text clean-up shared by the exporters.
enum ExportText {
    /// The segment text as lines for a subtitle cue, or `nil` when nothing is left to show.
    ///
    /// Subtitle formats end a cue at the first blank line, so a blank (or whitespace-only) line
    /// inside the text would cut the cue short and turn the rest into garbage; such lines are dropped.
    static func cueLines(_ text: String) -> [String]? {
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return lines.isEmpty ? nil : lines
    }

    /// The segment text on a single line, or `nil` when it is empty, for formats where a line
    /// break has meaning of its own (one segment per line, Markdown paragraphs).
    static func singleLine(_ text: String) -> String? {
        cueLines(text)?.joined(separator: " ")
    }

    /// The display name of the segment's speaker on one line, when the transcript has speakers.
    static func speakerName(of segment: Segment, in transcript: Transcript) -> String? {
        transcript.speaker(segment.speaker).flatMap { singleLine($0.displayName) }
    }
}
