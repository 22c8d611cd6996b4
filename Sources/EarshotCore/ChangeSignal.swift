import Synchronization

/// Wakes waiting tasks when something changed: new work for idle workers and long-polling nodes,
/// new events for stream subscribers.
///
/// Waiters read ``generation`` before they look, and pass it to ``wait(timeout:unlessNotifiedSince:)``:
/// a notification that came in between returns the wait at once, so no wake-up is lost.
/// ``notify()`` is synchronous, so it can be called from a database commit hook.
public final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts notifications.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Bumps the generation and wakes every waiter.
    public func notify() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the next ``notify()``, after `timeout`, or when the calling task is cancelled,
    /// whichever comes first; at once if a notification came after `observed`.
    public func wait(timeout: Duration, unlessNotifiedSince observed: UInt64? = nil) async {
        let observed = observed ?? generation
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.state.withLock { state -> Bool in
                            if state.generation != observed || Task.isCancelled { return true }
                            state.waiters[id] = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                }
                group.addTask { try? await Task.sleep(for: timeout) }
                await group.next()
                group.cancelAll()
                self.resume(id)
            }
        } onCancel: {
            self.resume(id)
        }
    }

    private func resume(_ id: UInt64) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume()
    }
}
