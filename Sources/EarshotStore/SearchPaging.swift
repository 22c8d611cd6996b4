import EarshotCore

/// What both stores' searches share: the page cursor (an offset) and snippets whose matched
/// words the database marked with control characters.
enum SearchPaging {
    /// Marks around matched words: control characters never found in transcripts.
    static let matchOpen: Character = "\u{2}"
    static let matchClose: Character = "\u{3}"

    /// The offset a cursor stands for; 0 without one.
    static func offset(from cursor: String?) throws -> Int {
        guard let cursor else { return 0 }
        guard let value = Int(cursor), value > 0 else { throw StoreError.invalidCursor(cursor) }
        return value
    }

    /// The snippet's parts, without the space recognized segments usually begin with.
    static func snippet(fromMarked text: String) -> [SnippetPart] {
        var snippet = SnippetPart.parts(ofMarked: text, open: matchOpen, close: matchClose)
        if let first = snippet.first, !first.match {
            snippet[0].text = String(first.text.drop { $0.isWhitespace })
            if snippet[0].text.isEmpty { snippet.removeFirst() }
        }
        return snippet
    }
}
