import Foundation

/// How a worker takes and keeps work.
public struct WorkerConfiguration: Sendable, Hashable {
    /// The lease holder name; unique per worker slot (e.g. `builtin:host:1`).
    public var holder: String
    /// How often the lease is renewed and progress reported while a job runs.
    public var heartbeatInterval: Duration
    /// On graceful shutdown, how long a running job may go on before its lease is released.
    public var shutdownGrace: Duration
    /// How long an idle worker waits before checking the queue again when nothing woke it.
    public var idleCheckInterval: Duration
    /// Where decoded audio is written while a job runs.
    public var scratchDirectory: URL

    public init(
        holder: String, heartbeatInterval: Duration = .seconds(1), shutdownGrace: Duration = .seconds(30),
        idleCheckInterval: Duration = .seconds(2), scratchDirectory: URL
    ) {
        self.holder = holder
        self.heartbeatInterval = heartbeatInterval
        self.shutdownGrace = shutdownGrace
        self.idleCheckInterval = idleCheckInterval
        self.scratchDirectory = scratchDirectory
    }
}
