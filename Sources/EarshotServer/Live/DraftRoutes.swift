import EarshotCore
import EarshotStore
import Foundation
import Hummingbird

/// `/api/v1/drafts`: utterances of live sessions, their audio, and human corrections.
struct DraftRoutes: Sendable {
    let store: any Store
    let draftAudio: URL

    static let maxPageSize = 200

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.get("drafts") { request, context in
            let parameters = request.uri.queryParameters
            var limit = 50
            if let text = parameters["limit"] {
                guard let value = Int(String(text)), (1...Self.maxPageSize).contains(value) else {
                    throw APIError.badRequest("invalid_limit", "limit must be an integer in 1...\(Self.maxPageSize)")
                }
                limit = value
            }
            let session = parameters["session_id"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let cursor = parameters["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let page = try await store.drafts(sessionId: session, ownedBy: context.principal.jobsVisibleTo, limit: limit, cursor: cursor)
            return try jsonResponse(DraftList(drafts: page.drafts, nextCursor: page.nextCursor))
        }
        group.get("drafts/{id}") { _, context in
            try jsonResponse(try await DraftAccess.readable(try Self.draftID(context), context: context, store: store))
        }
        group.patch("drafts/{id}") { request, context in
            let id = try await DraftAccess.changeable(try Self.draftID(context), context: context, store: store).id
            let edit = try await decodeJSON(TranscriptRoutes.SegmentEdit.self, from: request, context: context)
            let (text, given) = try TranscriptRoutes.validated(edit)
            let author = TranscriptRoutes.author(given, context: context)
            return try jsonResponse(try await store.reviseDraft(id, text: text, source: .human, author: author, now: Date()))
        }
        group.post("drafts/{id}/suggestions/{n}/approve") { request, context in
            let (id, number) = (try Self.draftID(context), try Self.suggestionNumber(context))
            let draft = try await DraftAccess.changeable(id, context: context, store: store)
            let decision = try await decodeJSON(SuggestionDecision.self, from: request, context: context, whenEmpty: SuggestionDecision())
            let author = TranscriptRoutes.author(try Self.author(decision.author), context: context)
            guard let suggestion = draft.suggestions.first(where: { $0.number == number }) else { throw StoreError.suggestionNotFound(id, number) }
            // All of the LLM's changes make its text an LLM revision; a person's selection is
            // their own composition, a HUMAN revision.
            let everything = decision.changes.map { Set($0) == Set(suggestion.changes.indices) } ?? true
            let source: RevisionSource = everything ? .llm : .human
            return try jsonResponse(try await store.applySuggestion(
                id, number: number, changes: everything ? nil : decision.changes, source: source,
                author: everything ? "\(suggestion.model)" + (author.map { ", approved by \($0)" } ?? "") : author, now: Date()
            ))
        }
        group.post("drafts/{id}/suggestions/{n}/dismiss") { request, context in
            let (id, number) = (try Self.draftID(context), try Self.suggestionNumber(context))
            _ = try await DraftAccess.changeable(id, context: context, store: store)
            let decision = try await decodeJSON(SuggestionDecision.self, from: request, context: context, whenEmpty: SuggestionDecision())
            let author = TranscriptRoutes.author(try Self.author(decision.author), context: context)
            return try jsonResponse(try await store.dismissSuggestion(id, number: number, by: author, now: Date()))
        }
        group.get("drafts/{id}/audio") { request, context in
            let draft = try await DraftAccess.readable(try Self.draftID(context), context: context, store: store)
            let file = draftAudio.appendingPathComponent("\(draft.id).wav")
            guard draft.hasAudio, let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int else {
                throw APIError(.notFound, "audio_not_found", "draft \(draft.id) has no stored audio (yet)")
            }
            return try await MediaFileResponse.make(path: file.path, size: size, contentType: "audio/wav", request: request, context: context)
        }
    }

    /// Which changes of a suggestion to apply (0-based; all when absent), and who decided.
    struct SuggestionDecision: Decodable {
        var changes: [Int]?
        var author: String?
    }

    static func suggestionNumber(_ context: some RequestContext) throws -> Int {
        let text = context.parameters.get("n") ?? ""
        guard let number = Int(text), number >= 1 else { throw APIError.badRequest("invalid_suggestion", "'\(text.prefix(20))' is not a suggestion number (1, 2, …)") }
        return number
    }

    static func author(_ text: String?) throws -> String? {
        let author = text?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (author?.count ?? 0) <= TranscriptRoutes.maxAuthorLength else {
            throw APIError.badRequest("invalid_author", "author is at most \(TranscriptRoutes.maxAuthorLength) characters")
        }
        return author?.isEmpty == false ? author : nil
    }

    static func draftID(_ context: some RequestContext) throws -> String {
        let text = context.parameters.get("id") ?? ""
        guard let uuid = UUID(uuidString: text) else { throw APIError.badRequest("invalid_id", "'\(text.prefix(64))' is not a draft id") }
        return uuid.uuidString.lowercased()
    }
}

struct DraftList: Encodable {
    var drafts: [Draft]
    var nextCursor: String?
}
