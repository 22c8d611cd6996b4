import EarshotCore
import EarshotStore
import Foundation
import Hummingbird

/// `GET /api/v1/search?q=…`: full-text search over transcripts, best match first, with snippets
/// whose matched words are marked (as parts, and as escaped HTML for pages to insert as is).
struct SearchRoute: Sendable {
    let store: any Store

    static let defaultLimit = 20
    static let maxLimit = 100

    struct Hit: Encodable {
        var jobId: String
        var title: String
        var segment: Int
        var start: Double
        var end: Double
        var snippet: [SnippetPart]
        var snippetHtml: String
        var score: Double
    }

    struct Page: Encodable {
        var query: [String]
        var hits: [Hit]
        var nextCursor: String?
    }

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.get("search") { request, context in
            let parameters = request.uri.queryParameters
            var terms: SearchTerms
            do {
                terms = try SearchTerms(parsing: parameters["q"].map(String.init) ?? "")
            } catch {
                throw APIError.badRequest("invalid_query", "\(error)")
            }
            terms.visibleTo = context.principal.jobsVisibleTo
            var limit = Self.defaultLimit
            if let text = parameters["limit"] {
                guard let value = Int(String(text)), (1...Self.maxLimit).contains(value) else {
                    throw APIError.badRequest("invalid_limit", "limit must be an integer in 1...\(Self.maxLimit)")
                }
                limit = value
            }
            let page = try await store.searchTranscripts(terms, limit: limit, cursor: parameters["cursor"].map(String.init))
            return try jsonResponse(Page(query: terms.words, hits: page.hits.map { hit in
                Hit(
                    jobId: hit.jobId.rawValue, title: hit.title, segment: hit.segment, start: hit.start, end: hit.end,
                    snippet: hit.snippet, snippetHtml: SnippetPart.html(hit.snippet), score: hit.score
                )
            }, nextCursor: page.nextCursor))
        }
    }
}
