import EarshotCore
import EarshotStore
import HTTPTypes

/// Ownership checks on one job: members reach only their own; others' jobs do not exist for them
/// (404, so ids cannot be probed), and a viewer who can read a job but not change it gets 403.
enum JobAccess {
    static func readable(_ id: JobID, context: EarshotRequestContext, store: any Store) async throws -> Job {
        let job = try await store.job(id)
        guard context.principal.mayRead(jobOwnedBy: job.ownerId) else { throw StoreError.jobNotFound(id) }
        return job
    }

    static func changeable(_ id: JobID, context: EarshotRequestContext, store: any Store) async throws -> Job {
        let job = try await readable(id, context: context, store: store)
        guard context.principal.mayChange(jobOwnedBy: job.ownerId) else {
            throw APIError(.forbidden, "forbidden", "you may read job \(id) but not change it")
        }
        return job
    }
}
