/// Wakes idle workers when work arrives, instead of making them poll tightly.
public actor WorkSignal {
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0

    public init() {}

    /// Wakes every current waiter.
    public func notify() {
        let current = waiters
        waiters = [:]
        current.values.forEach { $0.resume() }
    }

    /// Returns at the next ``notify()`` or after `timeout`, whichever comes first.
    public func wait(timeout: Duration) async {
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
