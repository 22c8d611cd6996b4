/// The lifecycle of a job: `queued → running → succeeded | failed | cancelled`.
///
/// A running job whose attempt fails (or whose lease expires) goes back to `queued` while it has
/// attempts left, so `running → queued` is also a legal transition.
public enum JobState: String, Codable, Sendable, CaseIterable, Hashable {
    case queued
    case running
    case succeeded
    case failed
    case cancelled

    /// Terminal states never change again except through an explicit retry.
    public var isTerminal: Bool {
        switch self {
        case .queued, .running: false
        case .succeeded, .failed, .cancelled: true
        }
    }
}
