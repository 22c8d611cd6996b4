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
        var timers: [UInt64: Task<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts notifications.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Bumps the generation and wakes every waiter.
    public func notify() {
        let (waiters, timers) = state.withLock { state in
            state.generation &+= 1
            defer {
                state.waiters.removeAll()
                state.timers.removeAll()
            }
            return (Array(state.waiters.values), Array(state.timers.values))
        }
        for waiter in waiters { waiter.resume() }
        for timer in timers { timer.cancel() }
    }

    /// Returns at the next ``notify()``, after `timeout`, or when the calling task is cancelled,
    /// whichever comes first; at once if a notification came after `observed`.
    ///
    /// A wait costs one continuation and one timer task: with a thousand stream subscribers
    /// waking on every event, a task group per wait was measurable.
    public func wait(timeout: Duration, unlessNotifiedSince observed: UInt64? = nil) async {
        let observed = observed ?? generation
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.generation != observed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow {
                    continuation.resume()
                    return
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled { self.resume(id) }
                }
                let stillWaiting = state.withLock { state -> Bool in
                    guard state.waiters[id] != nil else { return false }
                    state.timers[id] = timer
                    return true
                }
                if !stillWaiting { timer.cancel() }
            }
        } onCancel: {
            self.resume(id)
        }
    }

    private func resume(_ id: UInt64) {
        let (waiter, timer) = state.withLock { ($0.waiters.removeValue(forKey: id), $0.timers.removeValue(forKey: id)) }
        waiter?.resume()
        timer?.cancel()
    }
}
