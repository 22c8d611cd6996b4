import Foundation

/// Runs CPU-bound test work on a thread of its own. Swift Testing runs tests concurrently on the
/// cooperative pool, which on a two-core machine is two threads: a loop that holds one for seconds
/// starves every other test (timers, servers, deadlines) of it.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
