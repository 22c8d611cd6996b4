/// Renders a transcript as SubRip (`.srt`) subtitles.
public struct SRTExporter: Sendable {
    public init() {}

    /// One numbered cue per non-empty segment. Empty segments are skipped without leaving a gap in
    /// the numbering, because some players stop at the first missing number. SubRip has no voice
    /// tag (players print `<v>` as is), so a speaker's name leads the cue as `Name: `, the usual
    /// subtitling convention.
    public func export(_ t: Transcript) -> String {
        var cues: [String] = []
        for segment in t.segments {
            guard var lines = ExportText.cueLines(segment.text) else { continue }
            if let name = ExportText.speakerName(of: segment, in: t) { lines[0] = "\(name): \(lines[0])" }
            let range = Timecode.cueRange(start: segment.start, end: segment.end)
            let timing = "\(Timecode.stamp(milliseconds: range.start, separator: ",")) --> \(Timecode.stamp(milliseconds: range.end, separator: ","))"
            cues.append(([String(cues.count + 1), timing] + lines).joined(separator: "\n"))
        }
        return cues.isEmpty ? "" : cues.joined(separator: "\n\n") + "\n"
    }
}
