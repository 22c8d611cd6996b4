import Dispatch
import EarshotCore
import Synchronization
import Testing

@Suite("withDeadline")
struct DeadlineTests {
    struct Refused: Error, Equatable {}

    /// Work that cannot be cancelled, like a query waiting on a dead connection: it ends only when
    /// the test opens the gate (or, so that a broken `withDeadline` fails instead of hanging, after
    /// two minutes).
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

        var isOpen: Bool { state.withLock { $0.open } }

        func wait() async {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.open { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }

        func open() {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.open = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    @Test("answers while the work, which ignores cancellation, is still running; passes on results and errors")
    func answersWithoutWaitingForTheWork() async throws {
        let gate = Gate()
        DispatchQueue.global().asyncAfter(deadline: .now() + 120) { gate.open() }
        await #expect(throws: DeadlinePassed.self) {
            try await withDeadline(.milliseconds(200)) { await gate.wait() }
        }
        // The answer came without the work ending: no timing bound, so a loaded machine cannot fail it.
        #expect(!gate.isOpen)
        gate.open()
        #expect(try await withDeadline(.seconds(5)) { 42 } == 42)
        await #expect(throws: Refused()) { try await withDeadline(.seconds(5)) { throw Refused() } }
    }
}
