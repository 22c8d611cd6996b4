import Foundation

/// Reads RSS 2.0 and Atom podcast feeds with Earshot's own XML reader (``FeedXMLReader``),
/// refusing what a hostile server could send: more than `maxBytes`, any entity declaration (billion
/// laughs, external entities — feeds never need them), nesting deeper than `maxDepth`, bytes that
/// are not the encoding they claim (``FeedEncoding``), and documents that are not feeds (an HTML
/// page, a JSON error).
public enum FeedParser {
    public static let maxBytes = 10 << 20
    public static let maxDepth = 64
    public static let maxEpisodes = 20_000

    public static func parse(_ data: Data) throws(FeedError) -> ParsedFeed {
        guard data.count <= maxBytes else { throw FeedError("the feed is larger than \(maxBytes >> 20) MB") }
        guard !data.isEmpty else { throw FeedError("the feed is empty") }
        if data.range(of: Data("<!ENTITY".utf8)) != nil {
            throw FeedError("the feed declares XML entities, which feeds never need; refused (entity expansion and external entities are attacks)")
        }
        var reader = FeedReader()
        var xml = FeedXMLReader([UInt8](try FeedEncoding.utf8(data)))
        try xml.read(into: &reader)
        guard let root = reader.root else { throw FeedError("the document has no root element") }
        guard root == "rss" || root == "feed" || root == "RDF" else {
            throw FeedError(root.lowercased() == "html" ? "the URL serves an HTML page, not an RSS or Atom feed" : "<\(root)> is not an RSS or Atom feed")
        }
        return ParsedFeed(title: reader.feedTitle ?? "", link: reader.feedLink, author: reader.feedAuthor, episodes: reader.episodes)
    }

    /// RFC 822 (RSS `pubDate`, with the usual sloppiness) or RFC 3339 (Atom).
    public static func date(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // Feed dates are ASCII. Foundation's DateFormatter on Linux traps ("Incorrect range") on
        // some other text — a combining mark after a letter, found by the fuzzer — and a feed is
        // any server's text, so nothing else reaches it.
        guard trimmed.utf8.allSatisfy({ $0 < 0x80 }), trimmed.utf8.count <= 64 else { return nil }
        if let date = try? Date(trimmed, strategy: .iso8601) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for format in ["EEE, d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm Z", "yyyy-MM-dd'T'HH:mm:ssZ"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) { return date }
        }
        return nil
    }

    /// `itunes:duration`: seconds, `MM:SS` or `HH:MM:SS`.
    public static func duration(_ text: String) -> Double? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":").map { Double($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        return parts.reduce(0) { $0 * 60 + $1! }
    }
}

/// Collects the feed's and each episode's fields from the XML, and stops the read at the first
/// sign of a hostile document.
private struct FeedReader: FeedXMLReader.Handler {
    static let itunes = "http://www.itunes.com/dtds/podcast-1.0.dtd"
    static let podcast = "https://podcastindex.org/namespace/1.0"
    static let content = "http://purl.org/rss/1.0/modules/content/"

    var root: String?
    var feedTitle: String?
    var feedLink: String?
    var feedAuthor: String?
    var episodes: [ParsedEpisode] = []

    private var path: [String] = []
    private var text = ""
    private var episode: ParsedEpisode?
    private var episodeNotes: (content: String?, description: String?) = (nil, nil)

    mutating func start(_ name: String, namespace: String, attributes: [String: String]) throws(FeedError) {
        if root == nil { root = name }
        path.append(name)
        text = ""
        guard path.count <= FeedParser.maxDepth else { throw FeedError("the feed nests elements deeper than \(FeedParser.maxDepth) levels") }
        switch (name, namespace) {
        case ("item", _), ("entry", _):
            guard episodes.count < FeedParser.maxEpisodes else { throw FeedError("the feed has more than \(FeedParser.maxEpisodes) episodes") }
            episode = ParsedEpisode(guid: "", title: "", transcripts: [])
            episodeNotes = (nil, nil)
        case ("enclosure", _) where episode != nil:
            if let url = attributes["url"] {
                episode?.enclosure = .init(url: url, type: attributes["type"], length: attributes["length"].flatMap { Int64($0) })
            }
        case ("link", _) where episode != nil && attributes["rel"] == "enclosure":
            if let url = attributes["href"] {
                episode?.enclosure = .init(url: url, type: attributes["type"], length: attributes["length"].flatMap { Int64($0) })
            }
        case ("link", _) where episode == nil && attributes["href"] != nil && (attributes["rel"] ?? "alternate") == "alternate":
            feedLink = feedLink ?? attributes["href"]
        case ("transcript", Self.podcast) where episode != nil:
            if let url = attributes["url"], let type = attributes["type"] { episode?.transcripts.append(.init(url: url, type: type)) }
        default:
            break
        }
    }

    mutating func characters(_ string: String) throws(FeedError) {
        text += string
        if text.utf8.count > FeedParser.maxBytes { throw FeedError("a text in the feed is too long") }
    }

    mutating func end(_ name: String, namespace: String) throws(FeedError) {
        defer { path.removeLast() }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if episode != nil {
            switch (name, namespace) {
            case ("item", _), ("entry", _):
                if var finished = episode {
                    finished.notes = episodeNotes.content ?? episodeNotes.description
                    if finished.guid.isEmpty { finished.guid = finished.enclosure?.url ?? finished.title }
                    if !finished.guid.isEmpty { episodes.append(finished) }
                }
                episode = nil
            case ("title", ""), ("title", "http://www.w3.org/2005/Atom"):
                episode?.title = value
            case ("guid", ""), ("id", "http://www.w3.org/2005/Atom"):
                episode?.guid = value
            case ("pubDate", ""), ("published", "http://www.w3.org/2005/Atom"), ("updated", "http://www.w3.org/2005/Atom"):
                if episode?.published == nil { episode?.published = FeedParser.date(value) }
            case ("duration", Self.itunes):
                episode?.durationSeconds = FeedParser.duration(value)
            case ("encoded", Self.content):
                episodeNotes.content = value
            case ("description", ""), ("summary", "http://www.w3.org/2005/Atom"), ("summary", Self.itunes):
                episodeNotes.description = episodeNotes.description ?? value
            default:
                break
            }
        } else if path.count <= 3 {
            switch (name, namespace) {
            case ("title", _) where feedTitle == nil: feedTitle = value
            case ("link", "") where feedLink == nil && !value.isEmpty: feedLink = value
            case ("author", Self.itunes), ("name", "http://www.w3.org/2005/Atom"): feedAuthor = feedAuthor ?? value
            default: break
            }
        }
        text = ""
    }
}
