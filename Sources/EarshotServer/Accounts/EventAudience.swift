import EarshotCore
import EarshotStore

/// Which events a subscriber may see beyond its type filter: a member sees the events of its own
/// jobs and transcripts (and the server's node, stream, draft and plugin events), not other people's
/// filenames and text. Job owners are looked up once per job and remembered for the subscription.
struct EventAudience {
    /// The member whose jobs' events are shown; nil: every event (admins, viewers, the local user).
    let memberId: String?
    private var owners: [String: String?] = [:]

    init(principal: Principal) {
        memberId = principal.seesAllJobs ? nil : (principal.user?.id ?? "")
    }

    mutating func admits(_ event: Event, store: any Store) async throws -> Bool {
        guard let memberId else { return true }
        let jobId: JobID? = switch event.data {
        case .job(let data): data.jobId
        case .segments(let data): data.jobId
        case .transcript(let data): data.jobId
        case .node, .draft, .plugin, .stream, .audit: nil
        }
        guard let jobId else { return true }
        let owner: String?
        if let cached = owners[jobId.rawValue] {
            owner = cached
        } else {
            if owners.count > 10_000 { owners.removeAll() }
            // A deleted job's owner is gone with it; its events stay hidden from members.
            owner = try? await store.job(jobId).ownerId
            owners[jobId.rawValue] = owner
        }
        return owner == memberId
    }
}
