/// What a user typed into a search box, reduced to the words to look for.
///
/// Words are runs of letters and digits (so punctuation and query-language operators a user did
/// not mean, such as `"`, `*`, `NEAR` or `-`, never reach the search engine as syntax). Every word
/// must appear; the last also matches as a prefix, so results follow as-you-type input.
public struct SearchTerms: Sendable, Hashable {
    /// Lowercased, in the order typed, without duplicates.
    public let words: [String]
    /// Only transcripts of jobs this user owns or that are shared with them (a member's search).
    public var visibleTo: String?

    /// Throws when the text holds no word at all.
    public init(parsing text: String) throws(SearchError) {
        var words: [String] = []
        var current = ""
        func flush() {
            if !current.isEmpty, !words.contains(current) { words.append(current) }
            current = ""
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber { current.append(character) } else { flush() }
        }
        flush()
        guard !words.isEmpty else { throw SearchError.noWords }
        guard words.count <= 16 else { throw SearchError.tooManyWords }
        self.words = words
    }
}

/// Why a search could not run.
public enum SearchError: Error, Sendable, Hashable, CustomStringConvertible {
    case noWords
    case tooManyWords

    public var description: String {
        switch self {
        case .noWords: "the query has no words to search for"
        case .tooManyWords: "the query has more than 16 words"
        }
    }
}
