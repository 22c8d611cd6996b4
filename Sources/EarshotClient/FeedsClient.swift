import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1

/// A feed with what the server last did with it.
public struct FeedAnswer: Codable, Sendable, Hashable {
    public var feed: Feed
    public var poll: FeedPollSummary?
    public var episodes: [FeedEpisode]?
}

/// `/api/v1/feeds` for `earshot feeds` (admin token when the server has one).
public struct FeedsClient: Sendable {
    let transport: HTTPTransport

    public init(baseURL: URL, token: String?) {
        transport = HTTPTransport(baseURL: baseURL, bearerToken: token)
    }

    private struct Subscribe: Encodable {
        var url: String
        var autoQueue: Bool
        var model: String?
        var backlog: Int
        var pollMinutes: Double
    }

    private struct FeedList: Decodable {
        var feeds: [Feed]
    }

    public func subscribe(url: String, autoQueue: Bool, model: String?, backlog: Int, pollMinutes: Double) async throws -> FeedAnswer {
        try await transport.send(
            .POST, "api/v1/feeds", json: Subscribe(url: url, autoQueue: autoQueue, model: model, backlog: backlog, pollMinutes: pollMinutes),
            timeout: .minutes(30), decoding: FeedAnswer.self
        )
    }

    public func feeds() async throws -> [Feed] {
        try await transport.send(.GET, "api/v1/feeds", decoding: FeedList.self).feeds
    }

    public func poll(_ id: String) async throws -> FeedAnswer {
        try await transport.send(.POST, "api/v1/feeds/\(id)/poll", timeout: .minutes(30), decoding: FeedAnswer.self)
    }

    public func remove(_ id: String) async throws {
        _ = try await transport.send(.DELETE, "api/v1/feeds/\(id)")
    }
}
