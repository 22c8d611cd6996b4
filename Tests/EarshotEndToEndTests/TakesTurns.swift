import Testing

/// For tests that load the whole machine for a while (several engines at once) or that measure
/// time (real-time audio, settle timers, ping timeouts): they take turns, one at a time, while
/// lighter tests still run beside them. On two cores, two of them together starve each other's
/// timers into failures that say nothing about the code.
struct TakesTurns: TestTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await TurnGate.shared.enter()
        do {
            try await function()
        } catch {
            await TurnGate.shared.leave()
            throw error
        }
        await TurnGate.shared.leave()
    }
}

extension Trait where Self == TakesTurns {
    /// Runs the test when no other `.takesTurns` test runs.
    static var takesTurns: Self { TakesTurns() }
}

/// One test at a time, first come first served.
actor TurnGate {
    static let shared = TurnGate()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
