import Synchronization

/// Gathers calls made at the same time, or while requests are on their way, into one request:
/// with fewer than `maxInFlight` requests out, a call goes out as soon as the tasks already
/// running have had their turn (so calls made together leave together); beyond that, calls wait
/// and travel together as soon as a request returns. Nothing waits on a timer, so batching adds
/// no latency worth the name; under load it turns many small requests into a few large ones.
final class RequestCoalescer<Item: Sendable, Outcome: Sendable>: Sendable {
    /// Sends a batch; answers one outcome per item, in order. A thrown error fails every item of
    /// the batch.
    typealias Send = @Sendable ([Item]) async throws -> [Outcome]

    private struct Waiting {
        var item: Item
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var senders: [Int: Task<Void, Never>] = [:]
        var nextSender = 0
        /// Senders cancelled by ``cancelInFlight()`` whose batch has not come back yet.
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let maxInFlight: Int
    private let send: Send

    init(maxBatch: Int, maxInFlight: Int, send: @escaping Send) {
        precondition(maxBatch > 0 && maxInFlight > 0)
        self.maxBatch = maxBatch
        self.maxInFlight = maxInFlight
        self.send = send
    }

    /// The outcome for `item`, once the request carrying it has returned.
    func submit(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            state.withLock { state in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                if state.senders.count < maxInFlight { startSender(&state) }
            }
        }
    }

    /// Calls waiting for a request (for tests: a way to know that callers have queued).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Cancels the requests on their way; their callers get `CancellationError`. Used to wake
    /// long-polling claims at shutdown.
    func cancelInFlight() {
        let senders = state.withLock { state in
            state.cancelled.formUnion(state.senders.keys)
            return Array(state.senders.values)
        }
        senders.forEach { $0.cancel() }
    }

    /// Lets calls that are already on their way join the batch: while yielding to other ready
    /// tasks adds callers, yield again (a few times at most). Slots woken together by one answer
    /// (a claim batch) then deliver together, not as one lone call and the rest behind it.
    private func gatherCompanions() async {
        var seen = state.withLock { $0.waiting.count }
        for _ in 0..<4 where seen < maxBatch {
            await Task.yield()
            let now = state.withLock { $0.waiting.count }
            if now == seen { return }
            seen = now
        }
    }

    private func startSender(_ state: inout State) {
        state.nextSender += 1
        let id = state.nextSender
        state.senders[id] = Task { await self.drain(sender: id) }
    }

    private func drain(sender id: Int) async {
        while !Task.isCancelled {
            await gatherCompanions()
            let batch: [Waiting] = state.withLock { state in
                let taken = Array(state.waiting.prefix(maxBatch))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.senders[id] = nil }
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                let outcomes = try await send(batch.map(\.item))
                guard outcomes.count == batch.count else {
                    throw CoalescerError.mismatchedAnswer(sent: batch.count, answered: outcomes.count)
                }
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
            } catch {
                let cancelled = state.withLock { $0.cancelled.contains(id) }
                for waiting in batch { waiting.continuation.resume(throwing: cancelled ? CancellationError() : error) }
            }
        }
        // Cancelled (woken): calls that arrived since go out with a fresh sender.
        state.withLock { state in
            state.senders[id] = nil
            state.cancelled.remove(id)
            if !state.waiting.isEmpty && state.senders.count < maxInFlight { startSender(&state) }
        }
    }
}

enum CoalescerError: Error, CustomStringConvertible {
    case mismatchedAnswer(sent: Int, answered: Int)

    var description: String {
        switch self {
        case .mismatchedAnswer(let sent, let answered): "the server answered \(answered) results for \(sent) items"
        }
    }
}
