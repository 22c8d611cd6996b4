import Foundation

/// A one-way latch: once triggered it stays triggered, and wakes everyone waiting on it.
final class ShutdownSignal: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLock()
    private var triggered = false
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0

    var isTriggered: Bool {
        lock.lock()
        defer { lock.unlock() }
        return triggered
    }

    func trigger() {
        lock.lock()
        triggered = true
        let pending = waiters
        waiters = [:]
        lock.unlock()
        pending.values.forEach { $0.resume() }
    }

    /// Returns once triggered, or as soon as the calling task is cancelled.
    func wait() async {
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                lock.lock()
                if triggered || Task.isCancelled {
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiters[id] = continuation
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            let waiter = waiters.removeValue(forKey: id)
            lock.unlock()
            waiter?.resume()
        }
    }
}
