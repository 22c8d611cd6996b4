/// Who produced a revision of a text. When several revisions exist, the text shown is the one
/// from the highest-ranked source (the latest within that rank): a person's edit always wins and
/// automation never overwrites it.
public enum RevisionSource: String, Codable, Sendable, CaseIterable, Hashable, Comparable {
    case human
    case llm
    /// A better model's transcription of the same audio (quick model first, better model later).
    case whisperReprocess = "whisper_reprocess"
    case unknown

    /// HUMAN > LLM > WHISPER_REPROCESS > UNKNOWN.
    public var rank: Int {
        switch self {
        case .human: 3
        case .llm: 2
        case .whisperReprocess: 1
        case .unknown: 0
        }
    }

    public static func < (lhs: RevisionSource, rhs: RevisionSource) -> Bool { lhs.rank < rhs.rank }
}
