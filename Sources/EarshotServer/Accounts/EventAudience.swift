import EarshotCore
import EarshotStore

/// Which events a subscriber may see beyond its type filter: a member sees the events of the jobs
/// they own or that are shared with them, of their own live sessions' drafts, and the server's node
/// and plugin events — not other people's filenames and text, nor the stream sources (admins'
/// configuration, whose drafts belong to no member).
///
/// What a member may see of a job or draft is looked up once and remembered for a few seconds, so
/// a busy stream costs a lookup per job, not per event, and a share given or taken away shows
/// within that time.
struct EventAudience {
    /// The member whose jobs' events are shown; nil: every event (admins, viewers, the local user).
    let memberId: String?
    private var visible: [String: (admitted: Bool, until: ContinuousClock.Instant)] = [:]
    static let remembered = Duration.seconds(5)

    init(principal: Principal) {
        memberId = principal.jobsVisibleTo
    }

    mutating func admits(_ event: Event, store: any Store) async throws -> Bool {
        guard let memberId else { return true }
        let subject: Subject
        switch event.data {
        case .job(let data): subject = .job(data.jobId)
        case .segments(let data): subject = .job(data.jobId)
        case .transcript(let data): subject = .job(data.jobId)
        case .draft(let data): subject = .draft(data.draftId)
        case .stream: return false
        case .node, .plugin, .audit: return true
        }
        let now = ContinuousClock.now
        if let known = visible[subject.key], known.until > now { return known.admitted }
        if visible.count > 10_000 { visible.removeAll() }
        let admitted = await subject.isVisible(to: memberId, store: store)
        visible[subject.key] = (admitted, now + Self.remembered)
        return admitted
    }

    private enum Subject {
        case job(JobID)
        case draft(String)

        var key: String {
            switch self {
            case .job(let id): "job:\(id.rawValue)"
            case .draft(let id): "draft:\(id)"
            }
        }

        /// A deleted job or draft's owner is gone with it; its events stay hidden from members.
        func isVisible(to memberId: String, store: any Store) async -> Bool {
            switch self {
            case .job(let id):
                guard let job = try? await store.job(id) else { return false }
                if job.ownerId == memberId { return true }
                return (try? await store.shareAccess(id, userId: memberId)) != nil
            case .draft(let id):
                return (try? await store.draft(id))?.ownerId == memberId
            }
        }
    }
}
