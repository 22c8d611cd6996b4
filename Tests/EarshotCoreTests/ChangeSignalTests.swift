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
}
