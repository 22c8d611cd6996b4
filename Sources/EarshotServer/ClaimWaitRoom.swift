import Foundation

/// The nodes currently long-polling for work, with their priorities, so that when a job arrives
/// the preferred node (lower priority value) tries first. Each waiter defers its claim by a few
/// milliseconds per better-priority node waiting; if the better node cannot take the job (a model
/// it lacks), the next one gets it an instant later, so nobody starves.
actor ClaimWaitRoom {
    private var waiting: [Int: Int] = [:]
    private var nextTicket = 0
    /// How long a waiter yields to each better-priority waiter.
    static let stagger: Duration = .milliseconds(10)

    func enter(priority: Int) -> Int {
        nextTicket += 1
        waiting[nextTicket] = priority
        return nextTicket
    }

    /// Nodes long-polling right now.
    var count: Int { waiting.count }

    func leave(_ ticket: Int) {
        waiting[ticket] = nil
    }

    /// How long the waiter with `priority` should let better nodes go first.
    func deferral(for priority: Int) -> Duration {
        let better = waiting.values.filter { $0 < priority }.count
        return Self.stagger * better
    }
}
