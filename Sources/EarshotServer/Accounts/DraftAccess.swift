import EarshotCore
import EarshotStore
import HTTPTypes

/// Ownership checks on one draft, as on jobs: a member reaches the drafts of their own live
/// sessions only (others' answer 404); stream sources' drafts belong to no one, so only those who
/// see every job see them.
enum DraftAccess {
    static func readable(_ id: String, context: EarshotRequestContext, store: any Store) async throws -> Draft {
        let draft = try await store.draft(id)
        guard context.principal.mayRead(jobOwnedBy: draft.ownerId) else { throw StoreError.draftNotFound(id) }
        return draft
    }

    static func changeable(_ id: String, context: EarshotRequestContext, store: any Store) async throws -> Draft {
        let draft = try await readable(id, context: context, store: store)
        guard context.principal.mayChange(jobOwnedBy: draft.ownerId) else {
            throw APIError(.forbidden, "forbidden", "you may read draft \(id) but not change it")
        }
        return draft
    }
}
