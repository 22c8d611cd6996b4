import EarshotStore
import ServiceLifecycle
import Synchronization

/// Runs a service on one replica only: the one that holds `role` in the shared store (with
/// SQLite, always this one). The others wait to take over if the holder goes away. Plugins and
/// polling must act once per event or feed, not once per replica.
struct ReplicaSingleton: Service {
    let role: String
    let store: any Store
    let inner: any Service

    /// Whether the role was taken, so a graceful shutdown knows whether to wait for the service
    /// to finish or to stop waiting for the role.
    private final class Taken: Sendable {
        let value = Mutex(false)
    }

    func run() async throws {
        let taken = Taken()
        let store = store
        let role = role
        let inner = inner
        // An unstructured task keeps the service group's task-locals, so `inner` still sees the
        // graceful shutdown it is told of below.
        let task = Task {
            try await store.whileLeading(role) {
                taken.value.withLock { $0 = true }
                try await inner.run()
            }
        }
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await task.value
            } onGracefulShutdown: {
                if !taken.value.withLock({ $0 }) { task.cancel() }
            }
        } onCancel: {
            task.cancel()
        }
    }
}
