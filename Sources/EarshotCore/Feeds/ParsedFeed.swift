import Foundation

/// A podcast feed as read from its XML: RSS 2.0 (with iTunes and Podcasting 2.0 tags) or Atom.
public struct ParsedFeed: Sendable, Hashable {
    public var title: String
    public var link: String?
    public var author: String?
    public var episodes: [ParsedEpisode]
}

/// One item or entry.
public struct ParsedEpisode: Sendable, Hashable {
    public struct Enclosure: Sendable, Hashable {
        public var url: String
        public var type: String?
        public var length: Int64?
    }

    /// A transcript the publisher links (`<podcast:transcript url= type=>`).
    public struct LinkedTranscript: Sendable, Hashable {
        public var url: String
        public var type: String
    }

    /// The item's `guid` (Atom: `id`); the enclosure URL when it has none.
    public var guid: String
    public var title: String
    public var published: Date?
    public var durationSeconds: Double?
    public var enclosure: Enclosure?
    /// Show notes: `content:encoded`, else `description` / `summary`.
    public var notes: String?
    public var transcripts: [LinkedTranscript]
}

/// Why a feed could not be read; the message is shown to the user as is.
public struct FeedError: Error, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
