import Synchronization

/// Wakes waiting tasks when something changed: new work for idle workers and long-polling nodes,
/// new events for stream subscribers.
///
/// Waiters read ``generation`` before they look, and pass it to ``wait(timeout:unlessNotifiedSince:turnPriority:)``:
/// a notification that came in between returns the wait at once, so no wake-up is lost.
/// ``notify()`` is synchronous, so it can be called from a database commit hook.
public final class ChangeSignal: Sendable {
    /// Why a wait returned.
    public enum Wake: Sendable, Equatable {
        /// A notification: it came while waiting, or had already come since `observed`.
        case notified
        /// A turn waiter was chosen: a notification, or ``passTurn()`` from the waiter before it.
        /// It must look, and pass the turn on if it leaves work it cannot take.
        case turn
        /// The timeout passed, or the task was cancelled.
        case timedOut
    }

    private struct TurnWaiter {
        var priority: Int
        var continuation: CheckedContinuation<Wake, Never>
    }

    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Wake, Never>] = [:]
        /// Waiters woken one at a time, lowest priority value first, then longest waiting.
        var turnWaiters: [UInt64: TurnWaiter] = [:]
        var timers: [UInt64: Task<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0

        /// Removes the waiter whose turn it is.
        mutating func takeTurn() -> (UInt64, CheckedContinuation<Wake, Never>)? {
            guard let best = turnWaiters.min(by: { ($0.value.priority, $0.key) < ($1.value.priority, $1.key) }) else { return nil }
            turnWaiters[best.key] = nil
            return (best.key, best.value.continuation)
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts notifications.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Turn waiters waiting now.
    public var turnWaiterCount: Int { state.withLock { $0.turnWaiters.count } }

    /// Bumps the generation, wakes every plain waiter and the turn waiter whose turn it is.
    public func notify() {
        let (waiters, turn, timers) = state.withLock { state in
            state.generation &+= 1
            let waiters = Array(state.waiters.values)
            var timers: [Task<Void, Never>] = []
            for id in state.waiters.keys {
                if let timer = state.timers.removeValue(forKey: id) { timers.append(timer) }
            }
            state.waiters.removeAll()
            let turn = state.takeTurn()
            if let (id, _) = turn, let timer = state.timers.removeValue(forKey: id) { timers.append(timer) }
            return (waiters, turn?.1, timers)
        }
        for waiter in waiters { waiter.resume(returning: .notified) }
        turn?.resume(returning: .turn)
        for timer in timers { timer.cancel() }
    }

    /// Wakes the next turn waiter, without a notification: the one before it looked and left work
    /// that others may take.
    public func passTurn() {
        let turn = state.withLock { state -> (CheckedContinuation<Wake, Never>, Task<Void, Never>?)? in
            guard let (id, continuation) = state.takeTurn() else { return nil }
            return (continuation, state.timers.removeValue(forKey: id))
        }
        turn?.0.resume(returning: .turn)
        turn?.1?.cancel()
    }

    /// Returns at the next ``notify()``, after `timeout`, or when the calling task is cancelled,
    /// whichever comes first; at once if a notification came after `observed`.
    ///
    /// With `turnPriority`, the wait is a turn waiter's: a notification wakes only the one whose
    /// turn it is (lowest priority value, then longest waiting), and it passes the turn on
    /// (``passTurn()``) when it leaves work it could not take. Long-polling nodes wait so: one
    /// new job wakes one node, not every idle one.
    ///
    /// A wait costs one continuation and one timer task: with a thousand stream subscribers
    /// waking on every event, a task group per wait was measurable.
    @discardableResult
    public func wait(timeout: Duration, unlessNotifiedSince observed: UInt64? = nil, turnPriority: Int? = nil) async -> Wake {
        let observed = observed ?? generation
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let resumeNow = state.withLock { state -> Wake? in
                    if state.generation != observed { return .notified }
                    if Task.isCancelled { return .timedOut }
                    if let turnPriority {
                        state.turnWaiters[id] = TurnWaiter(priority: turnPriority, continuation: continuation)
                    } else {
                        state.waiters[id] = continuation
                    }
                    return nil
                }
                if let resumeNow {
                    continuation.resume(returning: resumeNow)
                    return
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled { self.resume(id) }
                }
                let stillWaiting = state.withLock { state -> Bool in
                    guard state.waiters[id] != nil || state.turnWaiters[id] != nil else { return false }
                    state.timers[id] = timer
                    return true
                }
                if !stillWaiting { timer.cancel() }
            }
        } onCancel: {
            self.resume(id)
        }
    }

    /// Ends one wait as timed out (its timer fired, or its task was cancelled).
    private func resume(_ id: UInt64) {
        let (waiter, timer) = state.withLock { state in
            (state.waiters.removeValue(forKey: id) ?? state.turnWaiters.removeValue(forKey: id)?.continuation, state.timers.removeValue(forKey: id))
        }
        waiter?.resume(returning: .timedOut)
        timer?.cancel()
    }
}
