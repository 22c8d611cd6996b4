/// Word-level differences between two texts, as spans a person can accept one by one.
public struct TextChange: Codable, Sendable, Hashable {
    /// The first word of the original this change replaces (0-based).
    public var start: Int
    /// One past the last word replaced; `start == end` inserts before word `start`.
    public var end: Int
    /// The words replaced, as written in the original (empty for an insertion).
    public var original: String
    /// The words put in their place (empty for a deletion).
    public var replacement: String

    public init(start: Int, end: Int, original: String, replacement: String) {
        self.start = start
        self.end = end
        self.original = original
        self.replacement = replacement
    }
}

/// Finds the changes that turn one text into another, and applies any subset of them.
///
/// Words are split on whitespace and compared exactly (a changed comma is a changed word), with a
/// longest-common-subsequence alignment, so unchanged words anchor the spans between them.
public enum TextDiff {
    /// The words of `text`: split at whitespace scalars, not characters. A word that starts with a
    /// combining mark (after a control character, where it stands alone) would otherwise merge with
    /// the space that ``apply(_:to:)`` joins it with, and vanish from the next reading.
    public static func words(_ text: String) -> [Substring] {
        text.unicodeScalars.split(whereSeparator: \.properties.isWhitespace).map(Substring.init)
    }

    /// The changes from `original` to `revised`, in order, none overlapping.
    public static func changes(from original: String, to revised: String) -> [TextChange] {
        let old = words(original)
        let new = words(revised)
        // lengths[i][j]: the longest common subsequence of old[i...] and new[j...].
        var lengths = [[Int]](repeating: [Int](repeating: 0, count: new.count + 1), count: old.count + 1)
        for i in stride(from: old.count - 1, through: 0, by: -1) {
            for j in stride(from: new.count - 1, through: 0, by: -1) {
                lengths[i][j] = old[i] == new[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var changes: [TextChange] = []
        var i = 0
        var j = 0
        var pending: (start: Int, newStart: Int)?
        func close(_ oldEnd: Int, _ newEnd: Int) {
            guard let open = pending else { return }
            changes.append(TextChange(
                start: open.start, end: oldEnd, original: old[open.start..<oldEnd].joined(separator: " "),
                replacement: new[open.newStart..<newEnd].joined(separator: " ")
            ))
            pending = nil
        }
        while i < old.count || j < new.count {
            if i < old.count, j < new.count, old[i] == new[j] {
                close(i, j)
                i += 1
                j += 1
            } else {
                if pending == nil { pending = (i, j) }
                if j < new.count, i == old.count || lengths[i][j + 1] >= lengths[i + 1][j] {
                    j += 1
                } else {
                    i += 1
                }
            }
        }
        close(i, j)
        return changes
    }

    /// `original` with `changes` (a subset of ``changes(from:to:)``'s answer) applied.
    public static func apply(_ changes: [TextChange], to original: String) -> String {
        var result = words(original).map(String.init)
        for change in changes.sorted(by: { $0.start > $1.start }) where change.start <= change.end && change.end <= result.count {
            result.replaceSubrange(change.start..<change.end, with: words(change.replacement).map(String.init))
        }
        return result.joined(separator: " ")
    }
}
