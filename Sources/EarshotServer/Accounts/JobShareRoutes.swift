import EarshotCore
import EarshotStore
import Foundation
import Hummingbird

/// `/api/v1/jobs/{id}/shares`: who else may see a job (`read`) or also correct its transcript
/// (`edit`). Those who may read the job see its shares; its owner and admins change them.
struct JobShareRoutes: Sendable {
    let store: any Store

    struct ShareRequest: Decodable {
        var access: String
    }

    struct ShareList: Encodable {
        var shares: [JobShare]
    }

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.get("jobs/{id}/shares") { _, context in
            let job = try await JobAccess.readable(try JobRoutes.jobID(context), context: context, store: store)
            return try jsonResponse(ShareList(shares: try await store.jobShares(job.id)))
        }
        group.put("jobs/{id}/shares/{username}") { request, context in
            let job = try await JobAccess.changeable(try JobRoutes.jobID(context), context: context, store: store)
            let body = try await decodeJSON(ShareRequest.self, from: request, context: context, limit: 16 * 1024)
            guard let access = ShareAccess(rawValue: body.access) else {
                throw APIError.badRequest("invalid_access", "access must be read or edit")
            }
            let user = try await Self.user(context, store: store)
            guard user.id != job.ownerId else {
                throw APIError.badRequest("invalid_share", "\(user.username) owns job \(job.id) already")
            }
            let share = try await store.shareJob(
                job.id, userId: user.id, access: access, audit: Self.audit(context, job: job, detail: "\(user.username): \(access.rawValue)"), now: Date()
            )
            return try jsonResponse(share)
        }
        group.delete("jobs/{id}/shares/{username}") { _, context in
            let job = try await JobAccess.changeable(try JobRoutes.jobID(context), context: context, store: store)
            let user = try await Self.user(context, store: store)
            try await store.unshareJob(job.id, userId: user.id, audit: Self.audit(context, job: job, detail: "\(user.username): none"), now: Date())
            return Response(status: .noContent)
        }
    }

    /// The user named in the path; an unknown name is 404 like an unknown job.
    static func user(_ context: EarshotRequestContext, store: any Store) async throws -> UserAccount {
        let name = context.parameters.get("username") ?? ""
        try UserAccount.validate(username: name)
        guard let user = try await store.credentials(username: name)?.user else {
            throw APIError(.notFound, "user_not_found", "no user is named '\(name)'")
        }
        return user
    }

    static func audit(_ context: EarshotRequestContext, job: Job, detail: String) -> AuditEventData {
        AuditEventData(actor: context.principal.actor, target: "job:\(job.id)", address: context.clientAddress, detail: detail)
    }
}
