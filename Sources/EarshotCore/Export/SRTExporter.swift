/// Renders a transcript as SubRip (`.srt`) subtitles.
public struct SRTExporter: Sendable {
    public init() {}

    /// One numbered cue per non-empty segment. Empty segments are skipped without leaving a gap in
    /// the numbering, because some players stop at the first missing number.
    public func export(_ t: Transcript) -> String {
        var cues: [String] = []
        for segment in t.segments {
            guard let lines = ExportText.cueLines(segment.text) else { continue }
            let range = Timecode.cueRange(start: segment.start, end: segment.end)
            let timing = "\(Timecode.stamp(milliseconds: range.start, separator: ",")) --> \(Timecode.stamp(milliseconds: range.end, separator: ","))"
            cues.append(([String(cues.count + 1), timing] + lines).joined(separator: "\n"))
        }
        return cues.isEmpty ? "" : cues.joined(separator: "\n\n") + "\n"
    }
}
