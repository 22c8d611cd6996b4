import Dispatch
import EarshotCore
import Testing

@Suite("withDeadline")
struct DeadlineTests {
    struct Refused: Error, Equatable {}

    @Test("answers on time even when the work ignores cancellation; passes on results and errors")
    func answersOnTime() async throws {
        let started = ContinuousClock.now
        await #expect(throws: DeadlinePassed.self) {
            try await withDeadline(.milliseconds(200)) {
                // Work that cannot be cancelled, like a query waiting on a dead connection.
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 20) { continuation.resume() }
                }
            }
        }
        // Long before the work ends (20 s), with room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(try await withDeadline(.seconds(5)) { 42 } == 42)
        await #expect(throws: Refused()) { try await withDeadline(.seconds(5)) { throw Refused() } }
    }
}
