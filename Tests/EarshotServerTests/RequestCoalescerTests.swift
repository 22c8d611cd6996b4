@testable import EarshotClient
import Synchronization
import Testing

/// A node's slots share claim and delivery requests through `RequestCoalescer`.
@Suite("Request coalescing")
struct RequestCoalescerTests {
    /// Records every batch sent; the first waits for `release()` so others can queue behind it.
    final class Sender: Sendable {
        private let batches = Mutex<[[Int]]>([])
        private let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let held = Mutex(false)

        var sent: [[Int]] { batches.withLock { $0 } }

        func send(_ items: [Int]) async throws -> [String] {
            let first = batches.withLock { batches in
                batches.append(items)
                return batches.count == 1
            }
            if first {
                await withCheckedContinuation { continuation in
                    gate.withLock { $0 = continuation }
                    held.withLock { $0 = true }
                }
            }
            if items.contains(-1) { throw SendError() }
            return items.map { "answer \($0)" }
        }

        var isHolding: Bool { held.withLock { $0 } }

        func release() {
            gate.withLock { $0?.resume(); $0 = nil }
        }
    }

    struct SendError: Error {}

    @Test("calls made while a request is out travel together in the next one, each getting its own answer")
    func batchesWhileBusy() async throws {
        let sender = Sender()
        let coalescer = RequestCoalescer<Int, String>(maxBatch: 64, maxInFlight: 1) { try await sender.send($0) }
        async let first = coalescer.submit(1)
        while !sender.isHolding { await Task.yield() }
        async let second = coalescer.submit(2)
        async let third = coalescer.submit(3)
        async let fourth = coalescer.submit(4)
        while coalescer.waitingCount < 3 { await Task.yield() }
        sender.release()
        let answers = try await [first, second, third, fourth]
        #expect(answers == ["answer 1", "answer 2", "answer 3", "answer 4"])
        #expect(sender.sent.count == 2)
        #expect(sender.sent.first == [1])
        #expect(Set(sender.sent.last ?? []) == [2, 3, 4])
    }

    @Test("a failed request fails only the calls it carried")
    func failureStaysInItsBatch() async throws {
        let sender = Sender()
        let coalescer = RequestCoalescer<Int, String>(maxBatch: 64, maxInFlight: 1) { try await sender.send($0) }
        async let first = coalescer.submit(1)
        while !sender.isHolding { await Task.yield() }
        let failing = Task { try await coalescer.submit(-1) }
        let companion = Task { try await coalescer.submit(5) }
        while coalescer.waitingCount < 2 { await Task.yield() }
        sender.release()
        #expect(try await first == "answer 1")
        await #expect(throws: SendError.self) { try await failing.value }
        await #expect(throws: SendError.self) { try await companion.value }
        #expect(try await coalescer.submit(6) == "answer 6")
    }

    @Test("batches never exceed the limit")
    func respectsMaxBatch() async throws {
        let sender = Sender()
        let coalescer = RequestCoalescer<Int, String>(maxBatch: 2, maxInFlight: 1) { try await sender.send($0) }
        async let first = coalescer.submit(1)
        while !sender.isHolding { await Task.yield() }
        let rest = (2...6).map { value in Task { try await coalescer.submit(value) } }
        while coalescer.waitingCount < 5 { await Task.yield() }
        sender.release()
        #expect(try await first == "answer 1")
        for (offset, task) in rest.enumerated() { #expect(try await task.value == "answer \(offset + 2)") }
        #expect(sender.sent.dropFirst().allSatisfy { $0.count <= 2 })
        #expect(sender.sent.flatMap { $0 }.sorted() == [1, 2, 3, 4, 5, 6])
    }

    @Test("cancelling the request in flight answers its callers with CancellationError, and later calls still go out")
    func cancelInFlight() async throws {
        let started = Mutex(false)
        let calls = Mutex(0)
        let coalescer = RequestCoalescer<Int, String>(maxBatch: 64, maxInFlight: 1) { items in
            if calls.withLock({ $0 += 1; return $0 }) == 1 {
                started.withLock { $0 = true }
                // Held until cancelled: a long poll that nothing answers.
                try await Task.sleep(for: .seconds(3600))
            }
            return items.map { "answer \($0)" }
        }
        let waiting = Task { try await coalescer.submit(1) }
        while !started.withLock({ $0 }) { await Task.yield() }
        coalescer.cancelInFlight()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(try await coalescer.submit(7) == "answer 7")
    }
}
