import Foundation

/// A labelled stretch of time, as in an RTTM file or a diarization output.
public struct LabelledSegment: Sendable, Hashable {
    /// Start in seconds.
    public var start: Double
    /// End in seconds.
    public var end: Double
    /// Speaker label.
    public var label: String

    /// A segment [start, end) of `label`.
    public init(start: Double, end: Double, label: String) {
        self.start = start
        self.end = end
        self.label = label
    }
}

/// NIST RTTM reading and writing ("SPEAKER file 1 start duration <NA> <NA> label <NA> <NA>").
public enum RTTM {
    /// The SPEAKER lines of an RTTM file.
    public static func read(_ url: URL) throws -> [LabelledSegment] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 8, fields[0] == "SPEAKER",
                  let start = Double(fields[3]), let duration = Double(fields[4]) else { return nil }
            return LabelledSegment(start: start, end: start + duration, label: String(fields[7]))
        }
    }

    /// RTTM text for `segments` of recording `uri`.
    public static func text(_ segments: [LabelledSegment], uri: String) -> String {
        segments.map {
            "SPEAKER \(uri) 1 \(String(format: "%.3f", $0.start)) \(String(format: "%.3f", $0.end - $0.start)) <NA> <NA> \($0.label) <NA> <NA>\n"
        }.joined()
    }
}
