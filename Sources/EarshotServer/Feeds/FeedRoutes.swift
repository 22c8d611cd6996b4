import EarshotCore
import EarshotStore
import Foundation
import Hummingbird
import Logging

/// `/api/v1/feeds`: podcast subscriptions (admin). Subscribing polls at once, so a URL that is not
/// a feed is refused with the reason and nothing is kept.
struct FeedRoutes: Sendable {
    let store: any Store
    let poller: FeedPoller
    let configuration: ServerConfiguration

    struct SubscribeRequest: Decodable {
        var url: String
        var autoQueue: Bool?
        var model: String?
        var backlog: Int?
        var pollMinutes: Double?
        var diarize: Bool?
    }

    struct FeedAnswer: Encodable {
        var feed: Feed
        var poll: FeedPoller.Outcome?
        var episodes: [FeedEpisode]?
    }

    struct FeedList: Encodable {
        var feeds: [Feed]
    }

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.post("feeds") { request, context in
            let body = try await decodeJSON(SubscribeRequest.self, from: request, context: context)
            let feed = try await store.createFeed(try validated(body))
            do {
                let outcome = try await poller.poll(feed)
                context.logger.notice("feed subscribed", metadata: ["feed": "\(URLCredentials.masked(feed.url))"])
                return try jsonResponse(FeedAnswer(feed: try await store.feed(feed.id), poll: outcome), status: .created)
            } catch {
                try? await store.deleteFeed(feed.id)
                throw APIError.badRequest("invalid_feed", "\(URLCredentials.masked(feed.url)): \(FeedPoller.describe(error))")
            }
        }
        group.get("feeds") { request, _ in
            return try jsonResponse(FeedList(feeds: try await store.feeds()))
        }
        group.get("feeds/{id}") { request, context in
            let id = try Self.feedID(context)
            return try jsonResponse(FeedAnswer(feed: try await store.feed(id), episodes: try await store.episodes(ofFeed: id)))
        }
        group.post("feeds/{id}/poll") { request, context in
            let feed = try await store.feed(try Self.feedID(context))
            do {
                let outcome = try await poller.poll(feed)
                return try jsonResponse(FeedAnswer(feed: try await store.feed(feed.id), poll: outcome))
            } catch {
                throw APIError(.badGateway, "feed_failed", "\(URLCredentials.masked(feed.url)): \(FeedPoller.describe(error))")
            }
        }
        group.delete("feeds/{id}") { _, context in
            let id = try Self.feedID(context)
            try await store.deleteFeed(id)
            try await AuditTrail.record(.auditDeleted, store: store, context: context, target: "feed:\(id)")
            return Response(status: .noContent)
        }
    }

    private func validated(_ body: SubscribeRequest) throws -> Feed {
        let url = body.url.trimmingCharacters(in: .whitespaces)
        _ = try MediaDownloader.checkedURL(url)
        if let model = body.model, !configuration.allowedModels.contains(model) {
            throw APIError.badRequest("unknown_model", "model must be one of \(configuration.allowedModels.joined(separator: ", "))")
        }
        let backlog = body.backlog ?? 0
        guard (0...1000).contains(backlog) else { throw APIError.badRequest("invalid_backlog", "backlog must be 0...1000") }
        let minutes = body.pollMinutes ?? 60
        guard (5...10_080).contains(minutes) else { throw APIError.badRequest("invalid_poll_minutes", "poll_minutes must be 5...10080") }
        return Feed(
            id: UUID().uuidString.lowercased(), url: url, title: "", autoQueue: body.autoQueue ?? true, model: body.model, backlog: backlog,
            pollIntervalSeconds: minutes * 60, nextPollAt: Date(), createdAt: Date(), diarize: body.diarize == true ? true : nil
        )
    }

    static func feedID(_ context: some RequestContext) throws -> String {
        let text = context.parameters.get("id") ?? ""
        guard let uuid = UUID(uuidString: text) else { throw APIError.badRequest("invalid_id", "'\(text.prefix(64))' is not a feed id") }
        return uuid.uuidString.lowercased()
    }
}
