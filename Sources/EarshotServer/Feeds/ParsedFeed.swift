import Foundation

/// A podcast feed as read from its XML: RSS 2.0 (with iTunes and Podcasting 2.0 tags) or Atom.
struct ParsedFeed: Sendable, Hashable {
    var title: String
    var link: String?
    var author: String?
    var episodes: [ParsedEpisode]
}

/// One item or entry.
struct ParsedEpisode: Sendable, Hashable {
    struct Enclosure: Sendable, Hashable {
        var url: String
        var type: String?
        var length: Int64?
    }

    /// A transcript the publisher links (`<podcast:transcript url= type=>`).
    struct LinkedTranscript: Sendable, Hashable {
        var url: String
        var type: String
    }

    /// The item's `guid` (Atom: `id`); the enclosure URL when it has none.
    var guid: String
    var title: String
    var published: Date?
    var durationSeconds: Double?
    var enclosure: Enclosure?
    /// Show notes: `content:encoded`, else `description` / `summary`.
    var notes: String?
    var transcripts: [LinkedTranscript]
}

/// Why a feed could not be read; the message is shown to the user as is.
struct FeedError: Error, Hashable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
