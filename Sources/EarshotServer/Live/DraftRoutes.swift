import EarshotCore
import EarshotStore
import Foundation
import Hummingbird

/// `/api/v1/drafts`: utterances of live sessions, their audio, and human corrections.
struct DraftRoutes: Sendable {
    let store: any Store
    let draftAudio: URL

    static let maxPageSize = 200

    func register(on group: RouterGroup<some RequestContext>) {
        group.get("drafts") { request, _ in
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
            let page = try await store.drafts(sessionId: session, limit: limit, cursor: cursor)
            return try jsonResponse(DraftList(drafts: page.drafts, nextCursor: page.nextCursor))
        }
        group.get("drafts/{id}") { _, context in try jsonResponse(try await store.draft(try Self.draftID(context))) }
        group.patch("drafts/{id}") { request, context in
            let id = try Self.draftID(context)
            let edit = try await decodeJSON(TranscriptRoutes.SegmentEdit.self, from: request, context: context)
            let (text, author) = try TranscriptRoutes.validated(edit)
            return try jsonResponse(try await store.reviseDraft(id, text: text, source: .human, author: author, now: Date()))
        }
        group.get("drafts/{id}/audio") { request, context in
            let draft = try await store.draft(try Self.draftID(context))
            let file = draftAudio.appendingPathComponent("\(draft.id).wav")
            guard draft.hasAudio, let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int else {
                throw APIError(.notFound, "audio_not_found", "draft \(draft.id) has no stored audio (yet)")
            }
            return try await MediaFileResponse.make(path: file.path, size: size, contentType: "audio/wav", request: request, context: context)
        }
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
