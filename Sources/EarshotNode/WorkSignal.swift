/// Wakes idle workers when work arrives, instead of making them poll tightly.
public actor WorkSignal {
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0
    /// Counts notifications, so a waiter can tell it missed one between looking for work and
    /// starting to wait (the lost wake-up).
    public private(set) var generation = 0

    public init() {}

    /// Wakes every current waiter.
    public func notify() {
        generation += 1
        let current = waiters
        waiters = [:]
        current.values.forEach { $0.resume() }
    }

    /// Returns at the next ``notify()`` or after `timeout`, whichever comes first; at once if a
    /// notification came after `observed` (a ``generation`` read before the caller looked for work).
    public func wait(timeout: Duration, unlessNotifiedSince observed: Int? = nil) async {
        if let observed, observed != generation { return }
        nextWaiter += 1
        let id = nextWaiter
        await withCheckedContinuation { continuation in
            waiters[id] = continuation
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume()
    }
}
