import Foundation

/// One matching transcript segment, with the words that matched marked in its snippet.
public struct SearchHit: Codable, Sendable, Hashable {
    public var jobId: JobID
    /// The transcript's title (the upload's name).
    public var title: String
    /// The segment's position in the transcript, from 0.
    public var segment: Int
    public var start: Double
    public var end: Double
    /// The segment's text around the matches, in parts; `match` parts are the words found.
    public var snippet: [SnippetPart]
    /// Relevance, higher is better (comparable within one result list only).
    public var score: Double

    public init(jobId: JobID, title: String, segment: Int, start: Double, end: Double, snippet: [SnippetPart], score: Double) {
        self.jobId = jobId
        self.title = title
        self.segment = segment
        self.start = start
        self.end = end
        self.snippet = snippet
        self.score = score
    }
}

/// A piece of a snippet: plain text, or a matched word.
public struct SnippetPart: Codable, Sendable, Hashable {
    public var text: String
    public var match: Bool

    public init(text: String, match: Bool) {
        self.text = text
        self.match = match
    }

    /// Splits text whose matches are wrapped in `open` … `close` markers into parts.
    public static func parts(ofMarked text: String, open: Character, close: Character) -> [SnippetPart] {
        var parts: [SnippetPart] = []
        var current = ""
        var inMatch = false
        for character in text {
            if character == open || character == close {
                if !current.isEmpty { parts.append(SnippetPart(text: current, match: inMatch)) }
                current = ""
                inMatch = character == open
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { parts.append(SnippetPart(text: current, match: inMatch)) }
        return parts
    }

    /// HTML for a snippet: every part escaped, matches wrapped in `<mark>`. Transcript text is
    /// user data (a segment may read `<script>`), so nothing in it is ever markup.
    public static func html(_ parts: [SnippetPart]) -> String {
        parts.map { $0.match ? "<mark>\(HTMLText.escape($0.text))</mark>" : HTMLText.escape($0.text) }.joined()
    }
}

/// A page of search results, best first.
public struct SearchPage: Sendable, Hashable {
    public var hits: [SearchHit]
    /// Pass back as `cursor` for the next page; nil on the last.
    public var nextCursor: String?

    public init(hits: [SearchHit], nextCursor: String?) {
        self.hits = hits
        self.nextCursor = nextCursor
    }
}
