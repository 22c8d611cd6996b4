import EarshotCore
import EarshotStore
import HTTPTypes

/// Ownership checks on one job: members reach only their own and those shared with them; others'
/// jobs do not exist for them (404, so ids cannot be probed), and a caller who can read a job but
/// not change it gets 403.
enum JobAccess {
    static func readable(_ id: JobID, context: EarshotRequestContext, store: any Store) async throws -> Job {
        try await reached(id, context: context, store: store).job
    }

    /// For what only the owner (and admins) may do: cancel, retry, reset, delete, share.
    static func changeable(_ id: JobID, context: EarshotRequestContext, store: any Store) async throws -> Job {
        let job = try await readable(id, context: context, store: store)
        guard context.principal.mayChange(jobOwnedBy: job.ownerId) else {
            throw APIError(.forbidden, "forbidden", "you may read job \(id) but not change it")
        }
        return job
    }

    /// For correcting the transcript: the owner, admins, and members it is shared with for editing.
    static func editable(_ id: JobID, context: EarshotRequestContext, store: any Store) async throws -> Job {
        let (job, share) = try await reached(id, context: context, store: store)
        guard context.principal.mayEdit(jobOwnedBy: job.ownerId, share: share) else {
            throw APIError(.forbidden, "forbidden", "you may read job \(id) but not edit its transcript")
        }
        return job
    }

    /// The job and, for a member who does not own it, what its share allows them.
    private static func reached(_ id: JobID, context: EarshotRequestContext, store: any Store) async throws -> (job: Job, share: ShareAccess?) {
        let job = try await store.job(id)
        let principal = context.principal
        var share: ShareAccess?
        if let user = principal.user, user.role == .member, job.ownerId != user.id {
            share = try await store.shareAccess(id, userId: user.id)
        }
        guard principal.mayRead(jobOwnedBy: job.ownerId, share: share) else { throw StoreError.jobNotFound(id) }
        return (job, share)
    }
}
