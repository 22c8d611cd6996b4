import EarshotCore
import EarshotNode
import EarshotStore
import ServiceLifecycle

/// Wakes this replica's waiting node claims whenever the shared database reports a job queued
/// by any replica (``Store/queuedWorkSignal``): a job queued (or released) through another
/// replica must be claimable here at once, not after the claim's long-poll times out. Other
/// events (a claim, a progress report, a transcript) wake nobody: with every event waking a
/// claim, 64 waiting nodes spent their time claiming nothing. `serve` runs it when the store is
/// PostgreSQL.
public struct ReplicaWake: Service {
    let store: any Store
    let signal: WorkSignal

    public init(store: any Store, signal: WorkSignal) {
        self.store = store
        self.signal = signal
    }

    public func run() async throws {
        let queued = store.queuedWorkSignal
        var observed = queued.generation
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let seen = observed
            _ = await cancelWhenGracefulShutdown { await queued.wait(timeout: .seconds(30), unlessNotifiedSince: seen) }
            let now = queued.generation
            if now != observed { signal.notify() }
            observed = now
        }
    }
}
