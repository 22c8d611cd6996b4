import Foundation

/// One revision of a segment's text. The recognizer's own text is never a revision: it is kept
/// as the segment's original, and any revision outranks it.
public struct Revision: Codable, Sendable, Hashable {
    /// 1, 2, 3… per segment, in the order revisions were made.
    public var number: Int
    public var text: String
    public var source: RevisionSource
    /// Who made it, when known (a user name, a model, a plugin).
    public var author: String?
    public var createdAt: Date

    public init(number: Int, text: String, source: RevisionSource, author: String? = nil, createdAt: Date) {
        self.number = number
        self.text = text
        self.source = source
        self.author = author
        self.createdAt = createdAt
    }

    /// The revision whose text is shown: highest-ranked source, then the latest (highest number).
    public static func winner(of revisions: some Sequence<Revision>) -> Revision? {
        revisions.max { ($0.source.rank, $0.number) < ($1.source.rank, $1.number) }
    }

    /// The revision that follows `existing` (numbered after the last), and the text shown once it
    /// is added (the winner's; `unrevised` when nothing wins).
    public static func next(
        after existing: [Revision], text: String, source: RevisionSource, author: String?, at date: Date, unrevised: String
    ) -> (revision: Revision, shown: String) {
        let revision = Revision(number: (existing.last?.number ?? 0) + 1, text: text, source: source, author: author, createdAt: date)
        return (revision, winner(of: existing + [revision])?.text ?? unrevised)
    }

    /// The longest text a revision may carry, in characters.
    public static let maxTextLength = 10_000
}

/// A transcript segment with its revision history.
public struct RevisedSegment: Codable, Sendable, Hashable {
    public var index: Int
    public var start: Double
    public var end: Double
    /// The text shown: the winning revision's, or the original when there is none.
    public var text: String
    /// What the recognizer wrote.
    public var originalText: String
    /// Oldest first.
    public var revisions: [Revision]

    public init(index: Int, start: Double, end: Double, text: String, originalText: String, revisions: [Revision]) {
        self.index = index
        self.start = start
        self.end = end
        self.text = text
        self.originalText = originalText
        self.revisions = revisions
    }
}
