import EarshotCore
import Testing

@Suite("Change signal")
struct ChangeSignalTests {
    @Test("a notify wakes waiters; one that came after the observed generation returns the wait at once")
    func wakes() async {
        let signal = ChangeSignal()
        let observed = signal.generation
        signal.notify()
        // Notified since `observed`: no wait at all, however long the timeout.
        await signal.wait(timeout: .seconds(3600), unlessNotifiedSince: observed)
        let waiters = (0..<50).map { _ in
            let seen = signal.generation
            return Task { await signal.wait(timeout: .seconds(3600), unlessNotifiedSince: seen) }
        }
        signal.notify()
        for waiter in waiters { await waiter.value }
        #expect(signal.generation == observed + 2)
    }

    @Test("a wait ends at its timeout, and when its task is cancelled")
    func timeoutAndCancel() async {
        let signal = ChangeSignal()
        let started = ContinuousClock.now
        await signal.wait(timeout: .milliseconds(50))
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        let waiter = Task { await signal.wait(timeout: .seconds(3600)) }
        waiter.cancel()
        await waiter.value
    }

    /// Starts a turn waiter and returns once it waits (so turns are handed out in a known order).
    static func turnWaiter(_ signal: ChangeSignal, priority: Int) async -> Task<ChangeSignal.Wake, Never> {
        let before = signal.turnWaiterCount
        let seen = signal.generation
        let task = Task { await signal.wait(timeout: .seconds(3600), unlessNotifiedSince: seen, turnPriority: priority) }
        while signal.turnWaiterCount == before { await Task.yield() }
        return task
    }

    @Test("a notify wakes every plain waiter but one turn waiter: the lowest priority value, then the longest waiting; passTurn wakes the next")
    func turns() async {
        let signal = ChangeSignal()
        let seen = signal.generation
        let plain = Task { await signal.wait(timeout: .seconds(3600), unlessNotifiedSince: seen) }
        let fallback = await Self.turnWaiter(signal, priority: 5)
        let first = await Self.turnWaiter(signal, priority: 0)
        let second = await Self.turnWaiter(signal, priority: 0)
        #expect(signal.turnWaiterCount == 3)

        signal.notify()
        #expect(await plain.value == .notified)
        #expect(await first.value == .turn)
        #expect(signal.turnWaiterCount == 2, "the others still wait")
        signal.passTurn()
        #expect(await second.value == .turn)
        signal.passTurn()
        #expect(await fallback.value == .turn)
        #expect(signal.turnWaiterCount == 0)
        signal.passTurn()  // nobody waits: nothing happens
        #expect(signal.generation == seen + 1, "passing a turn is not a notification")
    }

    @Test("a turn waiter that times out or is cancelled leaves the line; a notification that came first returns at once")
    func turnWaiterLeaves() async {
        let signal = ChangeSignal()
        #expect(await signal.wait(timeout: .milliseconds(20), turnPriority: 0) == .timedOut)
        let cancelled = await Self.turnWaiter(signal, priority: 0)
        cancelled.cancel()
        #expect(await cancelled.value == .timedOut)
        #expect(signal.turnWaiterCount == 0)
        let observed = signal.generation
        signal.notify()
        #expect(await signal.wait(timeout: .seconds(3600), unlessNotifiedSince: observed, turnPriority: 0) == .notified)
    }
}
