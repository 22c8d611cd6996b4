import EarshotCore
import EarshotStore
import Foundation
import Hummingbird

/// `/api/v1/transcripts/{id}/segments/{n}`: a segment with its revisions, and human edits.
struct TranscriptRoutes: Sendable {
    let store: any Store

    /// `PATCH` body (segments and drafts): the new text, and optionally who wrote it.
    struct SegmentEdit: Decodable {
        var text: String
        var author: String?
    }

    static let maxAuthorLength = 200

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.get("transcripts/{id}/segments/{n}") { _, context in
            let job = try await JobAccess.readable(try JobRoutes.jobID(context), context: context, store: store)
            return try jsonResponse(try await self.store.revisedSegment(job.id, index: try Self.index(context)))
        }
        group.patch("transcripts/{id}/segments/{n}") { request, context in
            let (id, index) = (try JobRoutes.jobID(context), try Self.index(context))
            _ = try await JobAccess.editable(id, context: context, store: store)
            let (text, given) = try Self.validated(try await decodeJSON(SegmentEdit.self, from: request, context: context))
            let author = Self.author(given, context: context)
            return try jsonResponse(try await self.store.reviseSegment(id, index: index, text: text, source: .human, author: author, now: Date()))
        }
    }

    /// The edit's text and author, trimmed and within bounds (an empty author is none).
    static func validated(_ edit: SegmentEdit) throws -> (text: String, author: String?) {
        let text = edit.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= Revision.maxTextLength else {
            throw APIError.badRequest("invalid_text", "text is at most \(Revision.maxTextLength) characters")
        }
        let author = edit.author?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (author?.count ?? 0) <= Self.maxAuthorLength else {
            throw APIError.badRequest("invalid_author", "author is at most \(Self.maxAuthorLength) characters")
        }
        return (text, author?.isEmpty == false ? author : nil)
    }

    /// Who a human revision is by: a signed-in user is always themselves (a revision's author is
    /// part of the record, not something to type in); without accounts, whoever the client names.
    static func author(_ given: String?, context: EarshotRequestContext) -> String? {
        context.principal.user?.username ?? given
    }

    static func index(_ context: some RequestContext) throws -> Int {
        let text = context.parameters.get("n") ?? ""
        guard let index = Int(text), index >= 0 else {
            throw APIError.badRequest("invalid_segment", "'\(text.prefix(32))' is not a segment index (0, 1, 2…)")
        }
        return index
    }
}
