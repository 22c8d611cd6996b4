import Synchronization

/// Thrown by ``withDeadline(_:_:)`` when the work did not finish in time.
public struct DeadlinePassed: Error, CustomStringConvertible {
    public var limit: Duration
    public var description: String { "no answer within \(limit)" }
}

/// Runs `body` in a task of its own and returns its result, or throws ``DeadlinePassed`` after
/// `limit` without waiting for it (it is cancelled, and may finish later). Unlike a task group,
/// which waits for every child, this answers on time even when `body` ignores cancellation — as a
/// database call does while its pool waits for a server that is gone.
public func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = FirstOutcome<T>()
    return try await withCheckedThrowingContinuation { continuation in
        outcome.await(continuation)
        let work = Task {
            do {
                outcome.give(.success(try await body()))
            } catch {
                outcome.give(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: limit)
            outcome.give(.failure(DeadlinePassed(limit: limit)))
            work.cancel()
        }
    }
}

/// Resumes its continuation with the first outcome given; later ones are dropped.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func await(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func give(_ result: Result<T, any Error>) {
        continuation.withLock { waiting in
            waiting?.resume(with: result)
            waiting = nil
        }
    }
}
