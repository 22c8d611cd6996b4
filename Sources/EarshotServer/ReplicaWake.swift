import EarshotCore
import EarshotNode
import EarshotStore
import ServiceLifecycle

/// Wakes this replica's waiting node claims whenever the shared database reports new events:
/// a job queued (or released) through another replica must be claimable here at once, not after
/// the claim's long-poll times out. `serve` runs it when the store is PostgreSQL.
public struct ReplicaWake: Service {
    let store: any Store
    let signal: WorkSignal

    public init(store: any Store, signal: WorkSignal) {
        self.store = store
        self.signal = signal
    }

    public func run() async throws {
        var observed = store.eventSignal.generation
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let seen = observed
            let events = store.eventSignal
            _ = await cancelWhenGracefulShutdown { await events.wait(timeout: .seconds(30), unlessNotifiedSince: seen) }
            let now = store.eventSignal.generation
            if now != observed { signal.notify() }
            observed = now
        }
    }
}
